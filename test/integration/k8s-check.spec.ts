import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

/** `pnpm k8s:check` validates against vendored schemas: it must reject what a cluster would. */
describe('scripts/k8s-check.mjs --validate (the schemas behind pnpm k8s:check)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function validate(yaml: string) {
    const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    const run = spawnSync(process.execPath, [join(__dirname, '../../scripts/k8s-check.mjs'), '--validate', file], { encoding: 'utf8' });
    return { status: run.status, errors: run.stderr };
  }

  const deployment = (specField: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: order-service
spec:
  ${specField}: 2
  selector:
    matchLabels: { app: order-service }
  template:
    metadata:
      labels: { app: order-service }
    spec:
      containers:
        - name: order-service
          image: shop/order-service
          ports: [{ containerPort: 3001 }]
          resources: { requests: { cpu: 100m, memory: 192Mi } }
`;

  it('accepts a valid Deployment and rejects the same one with a misspelt field, naming it', () => {
    expect(validate(deployment('replicas'))).toEqual({ status: 0, errors: '' });
    const typo = validate(deployment('replicsa'));
    expect(typo.status).toBe(1);
    expect(typo.errors).toContain("Deployment/order-service (apps/v1/Deployment) /spec: must NOT have additional properties 'replicsa'");
  });

  it('rejects a wrong type deep inside a pod template', () => {
    const result = validate(deployment('replicas').replace('containerPort: 3001', 'containerPort: http'));
    expect(result.status).toBe(1);
    expect(result.errors).toContain('/spec/template/spec/containers/0/ports/0/containerPort: must be integer');
  });

  it("checks the operators' resources against their CRDs", () => {
    const queue = (durable: string) => `
apiVersion: rabbitmq.com/v1beta1
kind: Queue
metadata:
  name: queue-inventory-order-placed
spec:
  name: inventory.order-placed
  durable: ${durable}
  arguments: { x-delivery-limit: 20 }
  rabbitmqClusterReference: { name: shop-rabbitmq }
`;
    expect(validate(queue('true')).status).toBe(0);
    const result = validate(queue('"yes"'));
    expect(result.status).toBe(1);
    expect(result.errors).toContain('Queue/queue-inventory-order-placed (rabbitmq.com/v1beta1/Queue) /spec/durable: must be boolean');
  });

  it('rejects a kind it has no schema for instead of passing it unchecked', () => {
    const result = validate('apiVersion: apps/v1\nkind: StatefulSet\nmetadata: { name: x }\nspec: {}\n');
    expect(result.status).toBe(1);
    expect(result.errors).toContain('no schema for apps/v1/StatefulSet');
  });
});

describe('scripts/k8s-check.mjs --rules (only each service reaches its own database)', () => {
  const base = join(__dirname, '../../deploy/base');
  // postgres.yaml: its Clusters are what write the `<cluster>-app` Secrets the services read.
  const manifests = ['network-policies.yaml', 'order-service.yaml', 'inventory-service.yaml', 'postgres.yaml'].map((file) => join(base, file));
  const dir = mkdtempSync(join(tmpdir(), 'k8s-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const rules = (...files: string[]) =>
    spawnSync(process.execPath, [join(__dirname, '../../scripts/k8s-check.mjs'), '--rules', ...files], { encoding: 'utf8' });

  it("holds for deploy/base, and fails once a policy lets order-service reach inventory's database", () => {
    expect(rules(...manifests).status).toBe(0);
    const leak = join(dir, 'leak.yaml');
    writeFileSync(
      leak,
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: order-service-reporting
spec:
  podSelector:
    matchLabels: { app.kubernetes.io/name: order-service }
  policyTypes: [Egress]
  egress:
    - to:
        - podSelector:
            matchLabels: { cnpg.io/cluster: inventory-db }
      ports: [{ protocol: TCP, port: 5432 }]
`,
    );
    const result = rules(...manifests, leak);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("Deployment/order-service: a NetworkPolicy lets it reach inventory-db, another service's database");
  });
});

describe("scripts/k8s-check.mjs --rules (a Node service's heap fits its memory limit)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-heap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** order-service from deploy/base, its memory limit and (when given) its NODE_OPTIONS replaced. */
  function orderService(limit: string, nodeOptions?: string): string {
    let yaml = readFileSync(join(__dirname, '../../deploy/base/order-service.yaml'), 'utf8');
    expect(yaml).toContain('memory: 512Mi');
    yaml = yaml.replace('memory: 512Mi', `memory: ${limit}`);
    if (nodeOptions) yaml = yaml.replace(/( +)env:\n/, (env, indent: string) => `${env}${indent}  - name: NODE_OPTIONS\n${indent}    value: ${nodeOptions}\n`);
    const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, yaml);
    const run = spawnSync(process.execPath, [join(__dirname, '../../scripts/k8s-check.mjs'), '--rules', file], { encoding: 'utf8' });
    return run.stderr
      .split('\n')
      .filter((line) => line.includes('heap'))
      .join('\n');
  }

  it("holds for the image's NODE_OPTIONS under 512Mi, fails under 256Mi naming both, and follows the pod's own NODE_OPTIONS", () => {
    expect(orderService('512Mi')).toBe('');
    expect(orderService('256Mi')).toBe(
      'Deployment/order-service: container order-service: its memory limit 256Mi is below what its heap may take ' +
        '(NODE_OPTIONS "--max-old-space-size=384 --max-semi-space-size=4": 384 + 3 × 4 MB, and 96 MiB outside the heap)',
    );
    expect(orderService('256Mi', '--max-old-space-size=128 --max-semi-space-size=4')).toBe('');
    expect(orderService('512Mi', '--max-old-space-size=1024 --max-semi-space-size=4')).toContain('its memory limit 512Mi is below');
    expect(orderService('512Mi', '--enable-source-maps')).toContain('must size the heap (--max-old-space-size and --max-semi-space-size)');
  });
});

/**
 * The production deploy starts only if every Secret, ConfigMap, ServiceAccount and volume claim its
 * objects refer to is created: by the overlay, by an operator, or by deploy/create-secrets.mjs.
 */
describe('scripts/k8s-check.mjs --overlay (nothing refers to what nobody creates)', () => {
  const production = join(__dirname, '../../deploy/overlays/production');
  const dir = mkdtempSync(join(tmpdir(), 'k8s-overlay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const check = (overlay: string) => spawnSync(process.execPath, [join(__dirname, '../../scripts/k8s-check.mjs'), '--overlay', overlay], { encoding: 'utf8' });

  /** An overlay over the repository's production overlay (kustomize takes it by a relative path), in a directory named `name`. */
  function overlayOnProduction(name: string, patches = '') {
    const overlay = join(dir, Math.random().toString(36).slice(2), name);
    mkdirSync(overlay, { recursive: true });
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${relative(overlay, production)}\n${patches}`,
    );
    return overlay;
  }

  it("passes on the repository's production overlay", () => {
    const result = check(production);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('fails on a dangling Secret reference, naming the object, the kind and the name', () => {
    const dangling = overlayOnProduction(
      'production',
      `patches:
  - target: { kind: Deployment, name: notification-service }
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/env/-
        value:
          name: SMTP_CA
          valueFrom: { secretKeyRef: { name: notification-service-smtp-ca, key: ca.crt } }
`,
    );
    const result = check(dangling);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'Deployment/notification-service: container notification-service env SMTP_CA refers to Secret notification-service-smtp-ca, which neither the overlay renders, nor an operator writes, nor deploy/create-secrets.mjs creates',
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('fails on a key the secrets step does not write, and on a missing ServiceAccount and volume claim', () => {
    const result = check(
      overlayOnProduction(
        'production',
        `patches:
  - target: { kind: Deployment, name: order-service }
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/env/0
        value:
          name: HOST
          valueFrom: { secretKeyRef: { name: shop-admin, key: host } }
      - op: add
        path: /spec/template/spec/serviceAccountName
        value: order-service
      - op: add
        path: /spec/template/spec/volumes
        value: [{ name: exports, persistentVolumeClaim: { claimName: order-exports } }]
`,
      ),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'Deployment/order-service: container order-service env HOST reads key host of Secret shop-admin, which deploy/create-secrets.mjs creates without it (keys: token)',
    );
    expect(result.stderr).toContain('Deployment/order-service: serviceAccountName refers to ServiceAccount order-service, which neither');
    expect(result.stderr).toContain('Deployment/order-service: volume exports refers to PersistentVolumeClaim order-exports, which neither');
  });

  it("counts the secrets step only for the production overlay: without it, production's Secrets are dangling", () => {
    const result = check(overlayOnProduction('staging'));
    expect(result.status).toBe(1);
    for (const secret of ['notification-service-smtp', 'notification-service-rabbitmq', 'order-service-cancel-token', 'payment-provider-api-key']) {
      expect(result.stderr).toContain(`refers to Secret ${secret}, which neither the overlay renders, nor an operator writes\n`);
    }
    // The operators' Secrets stay created: CloudNativePG's `<cluster>-app`.
    expect(result.stderr).not.toContain('orders-db-app');
  });
});

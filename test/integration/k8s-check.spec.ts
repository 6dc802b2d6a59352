import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
  const manifests = ['network-policies.yaml', 'order-service.yaml', 'inventory-service.yaml', 'storefront.yaml'].map((file) => join(base, file));
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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPOSE_TOOLS, placeholderWithoutComposeTools, resolvedServices } from './compose-config';

/**
 * docker-compose.cluster.yml as the compose tools merge it over docker-compose.yml: three RabbitMQ
 * nodes of one cluster, two replicas of each service that know all three nodes, and nginx over
 * both order-service replicas. Runs `config` with every compose tool installed (docker-compose
 * 1.29, `docker compose` v2); with none, the suite is reported as skipped, under a name that says so.
 */
const root = join(__dirname, '../..');

interface ComposeService {
  hostname?: string;
  image?: string;
  environment?: Record<string, string | null>;
  volumes?: (string | { source?: string; target: string })[];
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  networks?: Record<string, { aliases?: string[] } | null>;
}

const tools = COMPOSE_TOOLS;

/** Without the cookie, image and port variables of the caller's shell: the file's own defaults. */
const mergedServices = (command: string[]) =>
  resolvedServices<ComposeService>(
    command,
    ['-f', 'docker-compose.yml', '-f', 'docker-compose.cluster.yml'],
    /^(RABBITMQ_ERLANG_COOKIE|RABBITMQ_IMAGE|STOREFRONT_PORT|RABBITMQ_MANAGEMENT_PORT)$/,
  );

/** target path -> source, for both the short ("src:dst:mode") and the long volume syntax. */
function mounts(service: ComposeService): Map<string, string> {
  return new Map(
    (service.volumes ?? []).map((volume) => {
      if (typeof volume !== 'string') return [volume.target, volume.source ?? ''];
      const [source, target] = volume.split(':');
      return [target, source];
    }),
  );
}

/** Every name a service answers to on the compose network: its own and its aliases. */
function namesOf(services: Record<string, ComposeService>, name: string): string[] {
  return [name, ...Object.values(services[name].networks ?? {}).flatMap((network) => network?.aliases ?? [])];
}

placeholderWithoutComposeTools('docker-compose.cluster.yml', 'merges over docker-compose.yml into a three-node cluster');

describe(`docker-compose.cluster.yml merged by ${tools.map((tool) => tool.name).join(' and ') || 'no compose tool'}`, () => {
  if (tools.length === 0) return;
  describe.each(tools)('$name', ({ command }) => {
    let services: Record<string, ComposeService>;
    beforeAll(() => {
      services = mergedServices(command);
    });

    const nodes = () => Object.entries(services).filter(([, service]) => /^rabbitmq-\d+$/.test(service.hostname ?? ''));

    it('runs three RabbitMQ nodes rabbitmq-1..3, with one cookie, one cluster config and a data volume each', () => {
      expect(
        nodes()
          .map(([, service]) => service.hostname)
          .sort(),
      ).toEqual(['rabbitmq-1', 'rabbitmq-2', 'rabbitmq-3']);
      // Each node is reachable under its hostname (node 1 is the base file's `rabbitmq`, by an alias).
      for (const [name, service] of nodes()) expect(namesOf(services, name)).toContain(service.hostname);

      const cookies = new Set(nodes().map(([, service]) => service.environment?.RABBITMQ_ERLANG_COOKIE));
      expect(cookies.size).toBe(1);
      expect([...cookies][0]).toEqual(expect.stringMatching(/^\S{16,}$/));

      const configs = new Set(nodes().map(([, service]) => mounts(service).get('/etc/rabbitmq/rabbitmq.conf')));
      expect([...configs]).toEqual([join(root, 'infra/rabbitmq/rabbitmq-cluster.conf')]);
      const definitions = new Set(nodes().map(([, service]) => mounts(service).get('/etc/rabbitmq/definitions.json')));
      expect([...definitions]).toEqual([join(root, 'infra/rabbitmq/definitions.json')]);
      const dataVolumes = new Set(nodes().map(([, service]) => mounts(service).get('/var/lib/rabbitmq')));
      expect(dataVolumes.size).toBe(3);
      expect(services.rabbitmq.hostname).toBe('rabbitmq-1');
    });

    it('lists exactly those three nodes for classic_config peer discovery, with pause_minority', () => {
      const conf = readFileSync(join(root, 'infra/rabbitmq/rabbitmq-cluster.conf'), 'utf8');
      expect(conf).toMatch(/^cluster_formation\.peer_discovery_backend = classic_config$/m);
      const peers = [...conf.matchAll(/^cluster_formation\.classic_config\.nodes\.\d+ = (\S+)$/gm)].map((match) => match[1]).sort();
      expect(peers).toEqual(
        nodes()
          .map(([, service]) => `rabbit@${service.hostname}`)
          .sort(),
      );
      expect(conf).toMatch(/^cluster_partition_handling = pause_minority$/m);
      expect(conf).toMatch(/^load_definitions = \/etc\/rabbitmq\/definitions\.json$/m);
    });

    it('starts the nodes one after the other and the services after the quorum members are in place', () => {
      expect(services['rabbitmq-2'].depends_on).toMatchObject({ rabbitmq: { condition: 'service_healthy' } });
      expect(services['rabbitmq-3'].depends_on).toMatchObject({ 'rabbitmq-2': { condition: 'service_healthy' } });
      expect(services['rabbitmq-quorum-members'].depends_on).toMatchObject({
        rabbitmq: { condition: 'service_healthy' },
        'rabbitmq-2': { condition: 'service_healthy' },
        'rabbitmq-3': { condition: 'service_healthy' },
      });
      for (const name of ['order-service', 'inventory-service']) {
        expect(services[name].depends_on).toMatchObject({ 'rabbitmq-quorum-members': { condition: 'service_completed_successfully' } });
      }
    });

    it.each(['order-service', 'inventory-service'])('runs two replicas of %s, each with a healthcheck and RABBITMQ_URL naming all three nodes', (name) => {
      const service = services[name];
      expect(service.deploy?.replicas).toBe(2);
      expect(service.healthcheck?.test.join(' ')).toContain('/health/ready');
      const urls = (service.environment?.RABBITMQ_URL ?? '').split(',').map((url) => new URL(url));
      expect(urls.map((url) => url.host)).toEqual(['rabbitmq-1:5672', 'rabbitmq-2:5672', 'rabbitmq-3:5672']);
      expect(new Set(urls.map((url) => `${url.protocol}//${url.username}@${url.pathname}`))).toEqual(new Set([`amqp://${name}@/shop`]));
      const hostnames = nodes().map(([, node]) => node.hostname);
      expect(urls.map((url) => url.hostname).every((host) => hostnames.includes(host))).toBe(true);
    });

    it('has nginx send /api (the event stream included) to a name that stands for both order-service replicas, resolved per request', () => {
      const conf = readFileSync(join(root, 'infra/nginx/storefront.conf'), 'utf8');
      const target = conf.match(/set \$order_service ([\w-]+):(\d+);/);
      expect(target).not.toBeNull();
      const [, host, port] = target!;
      // The name is a compose service run as two replicas: the network's DNS answers with both.
      expect(services[host].deploy?.replicas).toBe(2);
      expect(services[host].environment?.PORT).toBe(port);
      // A variable in proxy_pass makes nginx resolve the name when a request comes.
      expect(conf).toContain('include /tmp/nginx-resolver.conf;');
      for (const location of ['location ~ ^/api/orders/[^/]+/events$', 'location = /api/orders', 'location /api/']) {
        const body = conf.slice(conf.indexOf(location), conf.indexOf('}', conf.indexOf(location)));
        expect(body).toContain('proxy_pass http://$order_service;');
      }
      expect(services.storefront.depends_on).toMatchObject({ 'order-service': { condition: 'service_healthy' } });
    });
  });
});

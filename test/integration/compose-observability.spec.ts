import { COMPOSE_TOOLS, placeholderWithoutComposeTools, resolvedServices } from './compose-config';
import { loadOrderServiceConfig } from '../../apps/order-service/src/config';

/**
 * docker-compose.yml's `observability` profile, as the compose tools resolve it: Jaeger (its image
 * through JAEGER_IMAGE, OTLP in on the compose network, its UI on the host's 127.0.0.1), the four shop
 * services with the standard OTEL variables (empty by default: nothing exported) and their names, and
 * order-service linking traces to that UI; resolved by every compose tool installed. The compose e2e
 * also runs the profile (a stand-in for Jaeger where no image can be had) and finds an order's trace
 * in it: e2e/compose/readme-demo.e2e.ts.
 */

const SHOP_SERVICES = ['order-service', 'inventory-service', 'notification-service', 'payment-service'];
/** Variables of the caller's shell that would change what is checked: the file's own defaults are. */
const CALLER_VARIABLES = /^(OTEL_|JAEGER_|TRACE_URL_TEMPLATE$|COMPOSE_PROFILES$|COMPOSE_FILE$)/;

type Port = string | { target: number; published?: string | number; host_ip?: string };

interface ComposeService {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string | null>;
  expose?: (string | number)[];
  ports?: Port[];
  depends_on?: Record<string, unknown> | string[];
  deploy?: { replicas?: number };
}

const tools = COMPOSE_TOOLS;

const resolved = (command: string[], args: string[], variables: Record<string, string> = {}) =>
  resolvedServices<ComposeService>(command, args, CALLER_VARIABLES, variables);

/** host address, host port and container port of each published port, from the short or the long syntax. */
function published(service: ComposeService): { hostIp: string; hostPort: string; target: string }[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port !== 'string') return { hostIp: port.host_ip ?? '', hostPort: String(port.published ?? ''), target: String(port.target) };
    const [hostIp, hostPort, target] = port.replace(/\/tcp$/, '').split(':');
    return { hostIp, hostPort, target };
  });
}

const dependencies = (service: ComposeService) => (Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {}));

placeholderWithoutComposeTools('the observability profile of docker-compose.yml', 'runs Jaeger and has the services export to it');

describe(`the observability profile of docker-compose.yml, resolved by ${tools.map((tool) => tool.name).join(' and ') || 'no compose tool'}`, () => {
  if (tools.length === 0) return;
  describe.each(tools)('$name', ({ command }) => {
    const profile = ['-f', 'docker-compose.yml', '--profile', 'observability'];
    /** What a user sets to export (README, "Traces") and to move Jaeger's image and UI port. */
    const SET = {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      JAEGER_IMAGE: 'localhost/standin-jaeger:1',
      JAEGER_UI_PORT: '26686',
    };
    // A `config` takes seconds: each combination is resolved once.
    let quiet: Record<string, ComposeService>;
    let set: Record<string, ComposeService>;
    let cluster: Record<string, ComposeService>;
    beforeAll(() => {
      quiet = resolved(command, profile);
      set = resolved(command, profile, SET);
      cluster = resolved(command, [...profile, '-f', 'docker-compose.cluster.yml'], SET);
    });

    it('runs Jaeger all-in-one in the profile only, its image through JAEGER_IMAGE (the official one by default), OTLP on', () => {
      const { jaeger } = quiet;
      expect(jaeger.profiles).toEqual(['observability']);
      expect(jaeger.image).toMatch(/^jaegertracing\/all-in-one:1\.\d+\.\d+$/);
      expect(jaeger.environment?.COLLECTOR_OTLP_ENABLED).toBe('true');
      // In memory: bounded, the oldest traces dropped first.
      expect(Number(jaeger.environment?.MEMORY_MAX_TRACES)).toBeGreaterThan(0);
      expect(set.jaeger.image).toBe('localhost/standin-jaeger:1');
    });

    it("publishes Jaeger's UI on the host's 127.0.0.1 (JAEGER_UI_PORT, 16686), and OTLP to the compose network only", () => {
      expect(published(quiet.jaeger)).toEqual([{ hostIp: '127.0.0.1', hostPort: '16686', target: '16686' }]);
      expect((quiet.jaeger.expose ?? []).map(String)).toEqual(expect.arrayContaining(['4317', '4318']));
      expect(published(set.jaeger)).toEqual([{ hostIp: '127.0.0.1', hostPort: '26686', target: '16686' }]);
    });

    it.each(SHOP_SERVICES)('gives %s its OTEL_SERVICE_NAME and an OTLP endpoint that is empty (nothing exported) unless set', (name) => {
      const environment = quiet[name].environment ?? {};
      expect(environment.OTEL_SERVICE_NAME).toBe(name);
      for (const variable of ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_TRACES_SAMPLER', 'OTEL_TRACES_SAMPLER_ARG']) {
        expect(environment[variable]).toBe('');
      }
      expect(set[name].environment).toMatchObject({
        OTEL_SERVICE_NAME: name,
        OTEL_EXPORTER_OTLP_ENDPOINT: SET.OTEL_EXPORTER_OTLP_ENDPOINT,
        OTEL_TRACES_SAMPLER: SET.OTEL_TRACES_SAMPLER,
        OTEL_TRACES_SAMPLER_ARG: SET.OTEL_TRACES_SAMPLER_ARG,
      });
      // The endpoint README gives reaches Jaeger's OTLP/HTTP port by its service name.
      const endpoint = new URL(SET.OTEL_EXPORTER_OTLP_ENDPOINT);
      expect((set[endpoint.hostname].expose ?? []).map(String)).toContain(endpoint.port);
    });

    it('waits for no collector: nothing depends on Jaeger, and the outside processor stand-in has no OTEL settings', () => {
      expect(Object.entries(quiet).filter(([, service]) => dependencies(service).includes('jaeger'))).toEqual([]);
      expect(Object.keys(quiet['payment-provider'].environment ?? {}).filter((variable) => variable.startsWith('OTEL_'))).toEqual([]);
    });

    it("has order-service link an order's trace to Jaeger's UI on the host, a template its configuration accepts", () => {
      for (const [services, port] of [
        [quiet, '16686'],
        [set, '26686'],
      ] as const) {
        const template = services['order-service'].environment?.TRACE_URL_TEMPLATE ?? '';
        expect(template).toBe(`http://localhost:${port}/trace/{traceId}`);
        expect(published(services.jaeger)[0].hostPort).toBe(port);
        expect(loadOrderServiceConfig({ TRACE_URL_TEMPLATE: template }).TRACE_URL_TEMPLATE).toBe(template);
      }
    });

    it('keeps the variables on every replica of the cluster override', () => {
      for (const name of SHOP_SERVICES) {
        expect(cluster[name].environment).toMatchObject({ OTEL_SERVICE_NAME: name, OTEL_EXPORTER_OTLP_ENDPOINT: SET.OTEL_EXPORTER_OTLP_ENDPOINT });
      }
      expect(cluster['order-service'].deploy?.replicas).toBe(2);
      expect(cluster.jaeger.profiles).toEqual(['observability']);
    });
  });
});

/**
 * `pnpm ops` against the running services, through a front door that routes as nginx does (each
 * service's operators' routes to it, the rest of /api to order-service): a dead letter listed,
 * shown with its order's state, the stuck order with its reason, a replay that confirms the order,
 * its timeline and the audit; usage errors exit 2 naming what is wrong and change nothing.
 */
import { OPERATIONS_PREFIX } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { execFile } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

const OPS = resolve(__dirname, '../../scripts/ops.mjs');
const FAULT_ON = `
  CREATE FUNCTION ops_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'ops test: decisions refused'; END $$;
  CREATE TRIGGER ops_fault BEFORE INSERT ON order_decisions FOR EACH ROW EXECUTE FUNCTION ops_fault();`;
const FAULT_OFF = `DROP TRIGGER ops_fault ON order_decisions; DROP FUNCTION ops_fault();`;

describe('pnpm ops', () => {
  let shop: ShopHarness;
  let frontDoor: Server;
  let url = '';

  /** Runs `node scripts/ops.mjs ...args`; never through a shell. */
  const ops = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(process.execPath, [OPS, ...args], { env: { PATH: process.env.PATH, ADMIN_TOKEN, ...env } }, (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  beforeAll(async () => {
    shop = await ShopHarness.create({ maxAttempts: 2, retryDelaysMs: [100], orderServiceEnv: { ORDER_STUCK_AFTER_SECONDS: '1' } });
    await shop.startInventoryService();
    await shop.startOrderService();
    frontDoor = createServer((incoming, outgoing) => {
      const target = new URL(incoming.url!.startsWith(OPERATIONS_PREFIX.inventory) ? shop.inventoryUrl : shop.orderUrl);
      const proxied = request(
        { host: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(outgoing);
        },
      );
      incoming.pipe(proxied);
    });
    await new Promise<void>((ready) => frontDoor.listen(0, '127.0.0.1', ready));
    url = `http://127.0.0.1:${(frontDoor.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((closed) => frontDoor?.close(closed));
    await shop.inventory.query(FAULT_OFF).catch(() => undefined);
    await shop?.dispose();
  });

  it('documents each command, and refuses bad input with exit 2 naming what is wrong', async () => {
    const help = await ops(['--help']);
    expect(help.code).toBe(0);
    for (const command of [
      'dlq list',
      'dlq show <id>',
      'dlq replay <id>',
      'dlq replay --group <fp>',
      'dlq discard <id> --reason',
      'stuck',
      'timeline <order id>',
      'audit',
      'parked retry <id>',
    ]) {
      expect(help.stdout).toContain(command);
    }
    const cases: [string[], RegExp][] = [
      [['dlq', 'frobnicate'], /unknown command "dlq frobnicate"/],
      [['dlq', 'show', '42'], /"42" is not an id/],
      [['dlq', 'show'], /usage: pnpm ops dlq show <id>/],
      [['dlq', 'list', '--service', 'billing'], /--service must be one of orders, inventory, notifications/],
      [['dlq', 'list', '--group', 'xyz'], /--group must be a 16-digit hex fingerprint/],
      [['dlq', 'discard', '00000000-0000-4000-8000-000000000000', '--url', 'http://127.0.0.1:9'], /dlq discard needs --reason/],
      [['stuck', '--url', 'ftp://shop'], /--url must be an http\(s\) URL/],
      [['dlq', 'replay', '--group', '0123456789abcdef', '--rate', 'fast'], /--rate must be a whole number/],
    ];
    for (const [args, message] of cases) {
      const result = await ops([...args, ...(args.includes('--url') ? [] : ['--url', url])]);
      expect([args.join(' '), result.code]).toEqual([args.join(' '), 2]);
      expect(result.stderr).toMatch(message);
    }
    const unreachable = await ops(['stuck', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/does not answer/);
    expect((await shop.inventory.query(`SELECT count(*)::int AS count FROM operator_actions`)).rows[0].count).toBe(0);
  });

  it('lists, shows and replays a dead letter, finds the stuck order, and prints its timeline and the audit', async () => {
    await shop.inventory.query(FAULT_ON);
    const placed = await shop.placeOrder(anOrder([{ sku: 'MUG-001', quantity: 1 }]));
    const orderId: string = placed.body.id;
    const id = await waitFor(async () => (await shop.inventory.query(`SELECT id FROM dead_letters WHERE status = 'open'`)).rows[0]?.id as string | undefined, {
      timeoutMs: 20_000,
      what: 'the dead letter kept',
    });

    const list = await ops(['dlq', 'list', '--url', url, '--service', 'inventory']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/inventory\s+[0-9a-f]{16}\s+1\s+inventory\.order-placed\s+QueryFailedError/);
    expect(list.stdout).toContain('ops test: decisions refused');

    const show = await ops(['dlq', 'show', id, '--url', url]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`order:       order ${orderId} is PENDING`);
    expect(show.stdout).toMatch(/reason:\s+failed 2 attempts; last error: ops test: decisions refused/);

    const stuck = await waitFor(
      async () => {
        const result = await ops(['stuck', '--url', url]);
        return result.stdout.includes(orderId) && result;
      },
      { what: 'the stuck order listed' },
    );
    expect(stuck.stdout).toContain(`dead letter ${id} in inventory-service`);

    // Without a terminal an action needs --yes; without an operator it is refused.
    expect((await ops(['dlq', 'replay', id, '--url', url, '--operator', 'ops-test'])).stderr).toMatch(/Add --yes/);
    expect((await ops(['dlq', 'replay', id, '--url', url, '--yes'])).stderr).toMatch(/name yourself with --operator/);

    await shop.inventory.query(FAULT_OFF);
    const replay = await ops(['dlq', 'replay', id, '--url', url, '--operator', 'ops-test', '--yes']);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(new RegExp(`replayed ${id} to inventory.order-placed`));
    await waitFor(async () => (await shop.orderStatus(orderId)) === 'CONFIRMED', { timeoutMs: 20_000, what: 'the order confirmed' });

    const timeline = await ops(['timeline', orderId, '--url', url]);
    expect(timeline.code).toBe(0);
    expect(timeline.stdout).toContain(`order ${orderId}: CONFIRMED`);
    // Its trace id (no link: this order-service has no TRACE_URL_TEMPLATE).
    expect(timeline.stdout).toMatch(/^trace [0-9a-f]{32}$/m);
    for (const step of ['accepted', 'dead-lettered', 'replayed', 'decided', 'applied']) expect(timeline.stdout).toMatch(new RegExp(`\\s${step}\\s`));

    const audit = await ops(['audit', '--url', url, '--service', 'inventory', '--json']);
    expect(JSON.parse(audit.stdout).audit[0].answer).toEqual([
      expect.objectContaining({ operator: 'ops-test', action: 'replay', target: id, outcome: 'done' }),
    ]);
  });
});

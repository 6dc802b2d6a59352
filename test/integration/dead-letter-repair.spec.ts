/**
 * The repair of an order whose order.placed keeps failing in inventory (a fault switched on and off
 * from outside the service: a trigger that refuses every decision, as a broken migration would):
 * the message reaches inventory's dead letters, the order is listed as stuck with that reason, a
 * replay before the fix fails again and comes back linked to the first failure, a replay after the
 * fix confirms it with its stock taken once, and every action is in the audit. A replay of a message
 * that had been applied already changes nothing (the inbox drops it); an edit is checked against the
 * event's schema. Bad input to every route is a 4xx naming what is wrong, and changes nothing.
 */
import { OPERATIONS_PREFIX, QUEUES, type DeadLetterView, type OrderTimelineView, type StuckOrdersView } from '@shop/contracts';
import { waitFor } from '@shop/testing';
import { ADMIN_TOKEN, anOrder, ShopHarness } from './harness';

const SKU = 'MUG-001';
const FAULT_ON = `
  CREATE FUNCTION simulated_fault() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'simulated fault: order_decisions refuses writes (order %)', NEW.order_id; END $$;
  CREATE TRIGGER simulated_fault BEFORE INSERT ON order_decisions FOR EACH ROW EXECUTE FUNCTION simulated_fault();`;
const FAULT_OFF = `DROP TRIGGER simulated_fault ON order_decisions; DROP FUNCTION simulated_fault();`;

describe('dead letters repaired: kept, stuck order found, replayed exactly once, audited', () => {
  let shop: ShopHarness;

  const inventoryOps = (path: string) => `${shop.inventoryUrl}${OPERATIONS_PREFIX.inventory}${path}`;
  const orderOps = (path: string) => `${shop.orderUrl}${OPERATIONS_PREFIX.orders}${path}`;
  const asAdmin = (operator: string | null = null) => ({
    authorization: `Bearer ${ADMIN_TOKEN}`,
    'content-type': 'application/json',
    ...(operator ? { 'x-operator': operator } : {}),
  });
  const get = async <T>(url: string): Promise<T> => {
    const response = await fetch(url, { headers: asAdmin() });
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as T;
  };
  const post = async (url: string, body: unknown, operator: string | null = 'ada') => {
    const response = await fetch(url, { method: 'POST', headers: asAdmin(operator), body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json().catch(() => null)) as any };
  };
  const getAnswer = async (url: string) => {
    const response = await fetch(url, { headers: asAdmin() });
    return { status: response.status, body: (await response.json().catch(() => null)) as any };
  };
  const openLetters = () => get<DeadLetterView[]>(inventoryOps('/dead-letters?status=open'));
  /** An order placed while the fault is on, its dead letter once kept, and the fault off again. */
  const orderDeadLettered = async () => {
    await shop.inventory.query(FAULT_ON);
    const placed = await shop.placeOrder(anOrder([{ sku: SKU, quantity: 1 }]));
    const [letter] = await waitFor(
      async () => {
        const letters = (await openLetters()).filter((one) => one.orderId === placed.body.id);
        return letters.length === 1 && letters;
      },
      { timeoutMs: 20_000, what: 'the dead letter' },
    );
    await shop.inventory.query(FAULT_OFF);
    return { placed, letter };
  };
  const auditRows = () =>
    shop.inventory.query<{ operator: string; action: string; target: string; outcome: string }>(
      `SELECT operator, action, target, outcome FROM operator_actions ORDER BY at, id`,
    );

  beforeAll(async () => {
    shop = await ShopHarness.create({
      maxAttempts: 3,
      retryDelaysMs: [100, 200],
      // Nothing answers there: the timeline must say it cannot see notification-service's hops.
      orderServiceEnv: { ORDER_STUCK_AFTER_SECONDS: '1', NOTIFICATION_URL: 'http://127.0.0.1:9' },
    });
    await shop.startInventoryService();
    await shop.startOrderService();
  });

  afterAll(async () => {
    await shop.inventory.query(FAULT_OFF).catch(() => undefined);
    await shop?.dispose();
  });

  it('takes a failing order through the dead letters, the stuck list, a failed replay and a replay that confirms it, once', async () => {
    const stockBefore = await shop.available(SKU);
    await shop.inventory.query(FAULT_ON);
    const placed = await shop.placeOrder(anOrder([{ sku: SKU, quantity: 2 }]));
    expect(placed.status).toBe(201);
    const orderId: string = placed.body.id;

    // Three attempts, then a dead letter, taken into inventory's database (the DLQ left empty).
    const [first] = await waitFor(
      async () => {
        const letters = await openLetters();
        return letters.length === 1 && letters;
      },
      { timeoutMs: 20_000, what: "order.placed in inventory's dead letters" },
    );
    expect(first).toMatchObject({
      service: 'inventory',
      queue: QUEUES.inventoryOrderPlaced,
      orderId,
      errorClass: 'QueryFailedError',
      attempts: 3,
      replayCount: 0,
      status: 'open',
    });
    expect(first.reason).toMatch(/^failed 3 attempts; last error: simulated fault/);
    expect(await shop.queueDepth(`${QUEUES.inventoryOrderPlaced}.dlq`)).toBe(0);
    const groups = await get<{ fingerprint: string; count: number }[]>(inventoryOps('/dead-letters/groups'));
    expect(groups).toEqual([expect.objectContaining({ fingerprint: first.fingerprint, count: 1 })]);

    // Stuck: PENDING past the threshold while inventory consumes, with inventory's dead letter as the reason.
    const stuck = await waitFor(
      async () => {
        const view = await get<StuckOrdersView>(orderOps('/stuck'));
        return view.orders.length === 1 && view;
      },
      { what: 'the order listed as stuck' },
    );
    expect(stuck.pathHealthy).toBe(true);
    expect(stuck.orders[0]).toMatchObject({ orderId, status: 'PENDING', reason: { kind: 'dead-letter', service: 'inventory', deadLetterId: first.id } });

    // A replay before the fix fails again: a new dead letter, linked to the first; the first says so.
    expect((await post(inventoryOps(`/dead-letters/${first.id}/replay`), {})).status).toBe(200);
    const [again] = await waitFor(
      async () => {
        const letters = await openLetters();
        return letters.length === 1 && letters[0].replayCount === 1 && letters;
      },
      { timeoutMs: 20_000, what: 'the replay failed again' },
    );
    expect(again).toMatchObject({ messageId: first.messageId, replayOf: first.id, fingerprint: first.fingerprint });
    expect((await get<DeadLetterView>(inventoryOps(`/dead-letters/${first.id}`))).replay).toEqual({ outcome: 'failed-again', failedAgainAs: again.id });

    // The cause fixed, the replay confirms the order; the stock is taken once.
    await shop.inventory.query(FAULT_OFF);
    const replayed = await post(inventoryOps(`/dead-letters/${again.id}/replay`), {});
    expect(replayed.status).toBe(200);
    expect(replayed.body).toMatchObject({ messageId: first.messageId, deadLetter: { status: 'replayed', resolvedBy: 'ada' } });
    await waitFor(async () => (await shop.orderStatus(orderId)) === 'CONFIRMED', { timeoutMs: 20_000, what: 'the order confirmed' });
    expect(await shop.available(SKU)).toBe(stockBefore - 2);
    const { rows: reservations } = await shop.inventory.query(`SELECT count(*)::int AS count FROM reservations WHERE order_id = $1`, [orderId]);
    expect(reservations[0].count).toBe(1);
    await waitFor(async () => (await get<DeadLetterView>(inventoryOps(`/dead-letters/${again.id}`))).replay?.outcome === 'applied', {
      what: 'the replay followed to applied',
    });
    expect(await openLetters()).toEqual([]);
    expect((await get<StuckOrdersView>(orderOps('/stuck'))).orders).toEqual([]);

    // Replaying it again is refused: it is not open; the refusal is audited too.
    const twice = await post(inventoryOps(`/dead-letters/${again.id}/replay`), {});
    expect(twice.status).toBe(409);
    expect(twice.body.message).toMatch(/it is replayed already \(by ada/);
    expect((await auditRows()).rows).toEqual([
      { operator: 'ada', action: 'replay', target: first.id, outcome: 'done' },
      { operator: 'ada', action: 'replay', target: again.id, outcome: 'done' },
      { operator: 'ada', action: 'replay', target: again.id, outcome: expect.stringMatching(/^refused: it is replayed already/) },
    ]);
    expect(await shop.available(SKU)).toBe(stockBefore - 2);

    // The timeline, hop by hop, from both services' tables.
    const timeline = await get<OrderTimelineView>(orderOps(`/${orderId}/timeline`));
    expect(timeline.status).toBe('CONFIRMED');
    const steps = timeline.entries.map((entry) => `${entry.service} ${entry.step}`);
    expect(steps.filter((step) => !step.endsWith('outbox-written') && !step.endsWith('published'))).toEqual([
      'orders accepted',
      'inventory dead-lettered',
      'inventory replayed',
      'inventory dead-lettered',
      'inventory replayed',
      'inventory decided',
      'payments decided',
      'payments applied',
      'orders applied',
    ]);
    expect(steps.slice(0, 3)).toEqual(['orders accepted', 'orders outbox-written', 'orders published']);
    expect(steps).toContain('inventory outbox-written'); // the replays' and the answer's rows
    expect(timeline.entries[0].sincePreviousSeconds).toBeNull();
    expect(timeline.entries.slice(1).every((entry) => typeof entry.sincePreviousSeconds === 'number' && entry.sincePreviousSeconds >= 0)).toBe(true);
    expect(timeline.unknown).toEqual([expect.stringMatching(/^notification-service does not answer/)]);
  });

  it('a replay of a message that had been applied changes nothing: the inbox drops it', async () => {
    const placed = await shop.placeOrder(anOrder([{ sku: SKU, quantity: 1 }]));
    await waitFor(async () => (await shop.orderStatus(placed.body.id)) === 'CONFIRMED', { timeoutMs: 20_000, what: 'the order confirmed' });
    const stock = await shop.available(SKU);
    // A copy of its order.placed in the dead letters, as a consumer that crashed after its commit would leave one.
    const { rows } = await shop.orders.query(`SELECT id, payload FROM outbox WHERE routing_key = 'order.placed' AND headers->>'x-correlation-id' = $1`, [
      placed.body.id,
    ]);
    const channel = await shop.channel();
    channel.publish('shop.dlx', QUEUES.inventoryOrderPlaced, Buffer.from(JSON.stringify(rows[0].payload)), {
      messageId: rows[0].id,
      type: 'order.placed',
      persistent: true,
      headers: { 'x-dead-letter-reason': 'failed 3 attempts; last error: lock timeout', 'x-error-class': 'QueryFailedError', 'x-attempt': 3 },
    });
    await channel.close();
    const [copy] = await waitFor(
      async () => {
        const letters = await openLetters();
        return letters.length === 1 && letters;
      },
      { what: 'the copy kept as a dead letter' },
    );

    expect((await post(inventoryOps(`/dead-letters/${copy.id}/replay`), {}, 'bob')).status).toBe(200);
    await waitFor(async () => (await get<DeadLetterView>(inventoryOps(`/dead-letters/${copy.id}`))).replay?.outcome === 'duplicate', {
      what: 'the replay followed to duplicate',
    });
    expect(await shop.available(SKU)).toBe(stock);
    const { rows: decisions } = await shop.inventory.query(`SELECT count(*)::int AS count FROM order_decisions WHERE order_id = $1`, [placed.body.id]);
    expect(decisions[0].count).toBe(1);
  });

  it('an edit is checked against the event schema, sent under a new id derived from the original, with its diff audited', async () => {
    const { placed, letter } = await orderDeadLettered();

    const payload = letter.payload as { lines: { sku: string; quantity: number }[] };
    const refused = await post(inventoryOps(`/dead-letters/${letter.id}/edit`), { payload: { ...payload, lines: 'none' } });
    expect(refused.status).toBe(422);
    expect(refused.body.issues.map((issue: { field: string }) => issue.field)).toContain('payload.lines');
    expect((await get<DeadLetterView>(inventoryOps(`/dead-letters/${letter.id}`))).status).toBe('open');

    const edited = await post(inventoryOps(`/dead-letters/${letter.id}/edit`), { payload, note: 'same payload, after the fix' });
    expect(edited.status).toBe(200);
    expect(edited.body.messageId).not.toBe(letter.messageId);
    expect(edited.body.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-/);
    await waitFor(async () => (await shop.orderStatus(placed.body.id)) === 'CONFIRMED', { timeoutMs: 20_000, what: 'the edited message applied' });
    const { rows } = await shop.inventory.query(`SELECT detail FROM operator_actions WHERE action = 'edit' AND target = $1`, [letter.id]);
    expect(rows[0].detail).toMatchObject({ editedMessageId: edited.body.messageId, revision: 1, note: 'same payload, after the fix', diff: [] });
  });

  it('refuses bad input with a 4xx naming what is wrong, and changes nothing', async () => {
    const { placed, letter } = await orderDeadLettered();
    const auditBefore = (await auditRows()).rows.length;

    const cases: [string, Promise<{ status: number; body: any }>, number, RegExp][] = [
      ['no operator', post(inventoryOps(`/dead-letters/${letter.id}/replay`), {}, null), 400, /X-Operator/],
      ['a blank operator', post(inventoryOps(`/dead-letters/${letter.id}/replay`), {}, '  '), 400, /X-Operator: must name the operator/],
      ['an id that is no UUID', post(inventoryOps('/dead-letters/42/replay'), {}), 400, /^id: must be a UUID/],
      ['an unknown field', post(inventoryOps(`/dead-letters/${letter.id}/replay`), { force: true }), 400, /force: is unknown/],
      ['a discard without a reason', post(inventoryOps(`/dead-letters/${letter.id}/discard`), {}), 400, /^reason:/],
      ['a group replay naming nothing', post(inventoryOps('/dead-letters/replay'), {}), 400, /ids: name either ids or a fingerprint/],
      ['a bad fingerprint', post(inventoryOps('/dead-letters/replay'), { fingerprint: 'xyz' }), 400, /fingerprint: must be a 16-digit hex fingerprint/],
      ['an unknown dead letter', post(inventoryOps('/dead-letters/00000000-0000-4000-8000-000000000000/replay'), {}), 404, /no dead letter/],
      ['a parked row id that is no UUID', post(inventoryOps('/outbox/parked/42/retry'), {}), 400, /^id: must be a UUID/],
      ['a parked row discarded without a reason', post(inventoryOps(`/outbox/parked/${letter.id}/discard`), {}), 400, /^reason:/],
      ['a row that is not parked', post(inventoryOps('/outbox/parked/00000000-0000-4000-8000-000000000001/retry'), {}), 409, /is not parked/],
      ['an audit limit of 0', getAnswer(inventoryOps('/audit?limit=0')), 400, /^limit:/],
      ['a timeline of no order id', getAnswer(orderOps('/42/timeline')), 400, /^id: must be an order id/],
      ['the timeline of an unknown order', getAnswer(orderOps('/00000000-0000-4000-8000-000000000002/timeline')), 404, /no order/],
    ];
    for (const [what, request, status, message] of cases) {
      const response = await request;
      expect([what, response.status]).toEqual([what, status]);
      expect(response.body.message).toMatch(message);
    }
    const noToken = await fetch(inventoryOps('/dead-letters'));
    expect(noToken.status).toBe(401);
    const badQuery = await fetch(inventoryOps('/dead-letters?status=lost'), { headers: asAdmin() });
    expect(badQuery.status).toBe(400);
    expect(((await badQuery.json()) as { message: string }).message).toMatch(/^status:/);

    expect((await get<DeadLetterView>(inventoryOps(`/dead-letters/${letter.id}`))).status).toBe('open');
    // Only the refusals of actions that reached the service are audited (an unknown dead letter, a row not parked); nothing else was recorded.
    const refusals = (await auditRows()).rows.slice(auditBefore);
    expect(refusals.sort((a, b) => a.action.localeCompare(b.action))).toEqual([
      { operator: 'ada', action: 'replay', target: '00000000-0000-4000-8000-000000000000', outcome: 'refused: no such dead letter' },
      { operator: 'ada', action: 'retry-parked', target: '00000000-0000-4000-8000-000000000001', outcome: expect.stringMatching(/^refused: not parked/) },
    ]);

    const discarded = await post(inventoryOps(`/dead-letters/${letter.id}/discard`), { reason: 'the shopper cancelled by phone' }, 'carol');
    expect(discarded.status).toBe(200);
    expect(discarded.body.deadLetter).toMatchObject({ status: 'discarded', resolvedBy: 'carol' });
    expect(await shop.orderStatus(placed.body.id)).toBe('PENDING');
  });
});

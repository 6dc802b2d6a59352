import { screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OPERATED_SERVICES, OPERATIONS_PREFIX, type StuckOrdersView } from '@shop/contracts';
import { installFakeApi, json, networkError, shopRoutes, systemStatus } from '../test/fake-api';
import { auditEntry, deadLetter, deadLetterGroup, order, ORDER_ID, orderTimeline, parkedRow } from '../test/operations-fixtures';
import { renderShop } from '../test/render-shop';
import { REPLAY_FOLLOW_MS } from './dead-letter-detail';
// Loaded up front so the lazy route resolves at once (the shop itself imports it only lazily).
import './operations-page';

const TOKEN = 'operator-token-of-16-or-more';
const LETTER = deadLetter();
const LETTER_PATH = `${OPERATIONS_PREFIX.orders}/dead-letters/${LETTER.id}`;
type Route = Parameters<typeof installFakeApi>[0][string];

/** Every console route of every service, healthy and empty unless given. */
function consoleRoutes(routes: Record<string, Route> = {}): Record<string, Route> {
  const empty: Record<string, Route> = {};
  for (const service of OPERATED_SERVICES) {
    const prefix = OPERATIONS_PREFIX[service];
    empty[`GET ${prefix}/dead-letters/groups`] = () => json([]);
    empty[`GET ${prefix}/outbox/parked`] = () => json([]);
    empty[`GET ${prefix}/audit`] = () => json([]);
  }
  const stuck: StuckOrdersView = { stuckAfterSeconds: 300, pathHealthy: true, orders: [], unknown: [] };
  return {
    ...shopRoutes(),
    'GET /api/operations/status': () => json(systemStatus()),
    'GET /api/operations/orders/stuck': () => json(stuck),
    ...empty,
    ...routes,
  };
}

const unavailable = () => json({ statusCode: 503, error: 'Service Unavailable', message: 'inventory-service is not answering' }, 503);

async function openDetail() {
  const { user } = renderShop(`/operations?service=orders&deadLetter=${LETTER.id}`);
  return { user, detail: await screen.findByRole('article', { name: /Dead letter d1e2a3d4 in order-service/ }) };
}

describe('operators console', () => {
  beforeEach(() => window.sessionStorage.setItem('shop.operations.adminToken', TOKEN));
  afterEach(() => window.sessionStorage.clear());

  it('groups the dead letters of each service with their count and ages, and lists a group on demand', async () => {
    installFakeApi(
      consoleRoutes({
        [`GET ${OPERATIONS_PREFIX.orders}/dead-letters/groups`]: () => json([deadLetterGroup()]),
        [`GET ${OPERATIONS_PREFIX.notifications}/dead-letters/groups`]: () =>
          json([
            deadLetterGroup({
              fingerprint: 'fedcba9876543210',
              queue: 'notifications.order-status',
              errorClass: 'SmtpError',
              reason: 'connection refused',
              count: 1,
            }),
          ]),
        [`GET ${OPERATIONS_PREFIX.orders}/dead-letters`]: () => json([LETTER]),
      }),
    );
    const { user } = renderShop('/operations');

    const group = (await screen.findByText('3 dead letters')).closest('li')!;
    expect(group).toHaveTextContent('3 dead letters from orders.stock-results: ValidationError');
    expect(group).toHaveTextContent('payload.lines.0.quantity must be a whole number');
    expect(group).toHaveTextContent('First failed 2 h 5 min ago, last 4 min ago');
    expect(screen.getByText('1 dead letter').closest('li')).toHaveTextContent('SmtpError');

    await user.click(within(group).getByRole('button', { name: 'Show the 3 dead letters' }));
    await user.click(await within(group).findByRole('link', { name: /StockReserved d1e2a3d4/ }));
    expect(await screen.findByRole('article', { name: /Dead letter d1e2a3d4/ })).toBeInTheDocument();
  });

  it('shows what it can while inventory-service does not answer, and says in one line what it cannot see', async () => {
    const inventory = OPERATIONS_PREFIX.inventory;
    installFakeApi(
      consoleRoutes({
        [`GET ${inventory}/dead-letters/groups`]: unavailable,
        [`GET ${inventory}/outbox/parked`]: unavailable,
        [`GET ${inventory}/audit`]: networkError,
        [`GET ${OPERATIONS_PREFIX.orders}/dead-letters/groups`]: () => json([deadLetterGroup()]),
        [`GET ${OPERATIONS_PREFIX.orders}/outbox/parked`]: () => json([parkedRow('orders')]),
      }),
    );
    renderShop('/operations');

    expect(await screen.findByText('inventory-service does not answer: its dead letters, parked rows and audit entries are not shown.')).toBeInTheDocument();
    expect(screen.getByText('3 dead letters')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Parked outbox rows' })).toHaveTextContent('order-service: order.placed on shop.events, 10 attempts');
    expect(screen.queryByText(/order-service does not answer/)).not.toBeInTheDocument();
  });

  it('keeps the other sections when an answer it cannot read breaks one', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    installFakeApi(
      consoleRoutes({
        'GET /api/operations/orders/stuck': () => json({ unexpected: 'shape' }),
        [`GET ${OPERATIONS_PREFIX.orders}/outbox/parked`]: () => json([parkedRow('orders')]),
      }),
    );
    renderShop('/operations');

    expect(await screen.findByRole('alert')).toHaveTextContent(/^Stuck orders cannot be shown:/);
    expect(await screen.findByRole('region', { name: 'Parked outbox rows' })).toHaveTextContent('order.placed on shop.events');
  });

  it('shows a dead letter: payload, headers, reason, attempts', async () => {
    installFakeApi(consoleRoutes({ [`GET ${LETTER_PATH}`]: () => json(LETTER) }));
    const { detail } = await openDetail();

    expect(await within(detail).findByLabelText('Payload')).toHaveTextContent('"quantity": 1.5');
    expect(within(detail).getByLabelText('Headers')).toHaveTextContent('x-death-reason');
    const fact = (label: string) => within(detail).getByText(label, { selector: 'dt' }).nextElementSibling;
    expect(fact('Reason')).toHaveTextContent('payload.lines.0.quantity must be a whole number');
    expect(fact('Attempts')).toHaveTextContent('5');
    expect(fact('Last error')).toHaveTextContent('ZodError: lines.0.quantity');
  });

  it("replays only after a confirmation that shows the order's state, naming the operator", async () => {
    const api = installFakeApi(
      consoleRoutes({
        [`GET ${LETTER_PATH}`]: () => json(LETTER),
        [`GET /api/orders/${ORDER_ID}`]: () => json(order('CONFIRMED')),
        [`POST ${LETTER_PATH}/replay`]: () => json({ deadLetter: { ...LETTER, status: 'replayed' }, messageId: LETTER.messageId, auditId: 'audit-1' }),
      }),
    );
    const { detail, user } = await openDetail();

    await user.click(await within(detail).findByRole('button', { name: 'Replay…' }));
    const step = within(detail).getByRole('form', { name: 'Replay this message?' });
    expect(await within(step).findByText(/This order is already/)).toHaveTextContent(
      'This order is already confirmed; replaying will change nothing, the inbox drops a message already applied.',
    );
    expect(api.posts()).toHaveLength(0);

    await user.type(within(step).getByLabelText('Your name'), 'Ada Lovelace');
    await user.click(within(step).getByRole('button', { name: 'Replay' }));

    expect(await within(detail).findByRole('status')).toHaveTextContent(`Replayed: message ${LETTER.messageId}. Audit entry audit-1.`);
    const [post] = api.posts();
    expect(post.url).toBe(`http://shop.test${LETTER_PATH}/replay`);
    expect(post.headers.get('x-operator')).toBe('Ada Lovelace');
    expect(post.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
    expect(post.body).toEqual({});
    expect(window.sessionStorage.getItem('shop.operations.operator')).toBe('Ada Lovelace');
  });

  it('follows a replay to its outcome, asking again while it is pending', async () => {
    const replayed = { ...LETTER, status: 'replayed' as const, resolvedBy: 'Ada Lovelace' };
    let asked = 0;
    installFakeApi(
      consoleRoutes({
        [`GET ${LETTER_PATH}`]: () => json({ ...replayed, replay: { outcome: asked++ === 0 ? 'pending' : 'applied', failedAgainAs: null } }),
      }),
    );
    const { detail } = await openDetail();
    const outcome = () => within(detail).getByText('Replay outcome', { selector: 'dt' }).nextElementSibling;

    await waitFor(() => expect(outcome()).toHaveTextContent('waiting to be published and handled'));
    await waitFor(() => expect(outcome()).toHaveTextContent('applied by the consumer'), { timeout: REPLAY_FOLLOW_MS * 2 });
    expect(asked).toBe(2);
  });

  it('does not promise that replaying an email changes nothing because the order is final', async () => {
    const letter = deadLetter({ service: 'notifications', queue: 'notifications.order-status', messageType: 'OrderConfirmed' });
    const path = `${OPERATIONS_PREFIX.notifications}/dead-letters/${letter.id}`;
    installFakeApi(consoleRoutes({ [`GET ${path}`]: () => json(letter), [`GET /api/orders/${ORDER_ID}`]: () => json(order('CONFIRMED')) }));
    const { user } = renderShop(`/operations?service=notifications&deadLetter=${letter.id}`);

    const detail = await screen.findByRole('article', { name: /in notification-service/ });
    await user.click(await within(detail).findByRole('button', { name: 'Replay…' }));
    expect(await within(detail).findByText(/This order is already/)).toHaveTextContent(
      'This order is already confirmed; a replay still sends what notification-service failed to send (its inbox drops it only if a copy was handled since).',
    );
  });

  it('refuses to discard without a reason, then sends the reason', async () => {
    window.sessionStorage.setItem('shop.operations.operator', 'Ada');
    const api = installFakeApi(
      consoleRoutes({
        [`GET ${LETTER_PATH}`]: () => json(LETTER),
        [`POST ${LETTER_PATH}/discard`]: () => json({ deadLetter: { ...LETTER, status: 'discarded' }, messageId: null, auditId: 'audit-2' }),
      }),
    );
    const { detail, user } = await openDetail();

    await user.click(await within(detail).findByRole('button', { name: 'Discard…' }));
    const step = within(detail).getByRole('form', { name: 'Discard this message?' });
    await user.click(within(step).getByRole('button', { name: 'Discard' }));
    expect(within(step).getByText(/Reason must say why/)).toBeInTheDocument();
    expect(api.posts()).toHaveLength(0);

    await user.type(within(step).getByLabelText(/Reason/), 'test order from the load run');
    await user.click(within(step).getByRole('button', { name: 'Discard' }));

    expect(await within(detail).findByRole('status')).toHaveTextContent('Discarded. Audit entry audit-2.');
    expect(api.posts()[0].body).toEqual({ reason: 'test order from the load run' });
    expect(api.posts()[0].headers.get('x-operator')).toBe('Ada');
  });

  it("sends an edited payload and shows the fields the event's schema refuses", async () => {
    window.sessionStorage.setItem('shop.operations.operator', 'Ada');
    const api = installFakeApi(
      consoleRoutes({
        [`GET ${LETTER_PATH}`]: () => json(LETTER),
        [`POST ${LETTER_PATH}/edit`]: () =>
          json(
            {
              statusCode: 400,
              error: 'Bad Request',
              message: 'the payload does not match StockReserved',
              issues: [{ field: 'payload.lines.0.quantity', message: 'must be a whole number' }],
            },
            400,
          ),
      }),
    );
    const { detail, user } = await openDetail();

    await user.click(await within(detail).findByRole('button', { name: 'Edit…' }));
    const step = within(detail).getByRole('form', { name: 'Send a corrected payload?' });
    const payload = within(step).getByLabelText('Payload (JSON)');
    expect(JSON.parse((payload as HTMLTextAreaElement).value)).toEqual(LETTER.payload);

    await user.clear(payload);
    await user.click(payload);
    await user.paste(JSON.stringify({ orderId: ORDER_ID, lines: [{ sku: 'MUG-001', quantity: 2.5 }] }));
    await user.click(within(step).getByRole('button', { name: 'Send the corrected payload' }));

    const refusal = await within(step).findByRole('alert');
    expect(refusal).toHaveTextContent('the payload does not match StockReserved');
    expect(refusal).toHaveTextContent('payload.lines.0.quantity must be a whole number');
    expect(api.posts()[0].body).toEqual({ payload: { orderId: ORDER_ID, lines: [{ sku: 'MUG-001', quantity: 2.5 }] } });
  });

  it('replays a group after a confirmation naming how many, and says so once the group has left the list', async () => {
    window.sessionStorage.setItem('shop.operations.operator', 'Ada');
    let replayed = false;
    const api = installFakeApi(
      consoleRoutes({
        [`GET ${OPERATIONS_PREFIX.orders}/dead-letters/groups`]: () => json(replayed ? [] : [deadLetterGroup()]),
        [`POST ${OPERATIONS_PREFIX.orders}/dead-letters/replay`]: () => {
          replayed = true;
          return json({ replayId: 'replay-7', selected: 3, auditId: 'audit-3' }, 202);
        },
      }),
    );
    const { user } = renderShop('/operations');

    await user.click(await screen.findByRole('button', { name: 'Replay the group…' }));
    const step = screen.getByRole('form', { name: 'Replay 3 dead letters?' });
    expect(api.posts()).toHaveLength(0);
    await user.click(within(step).getByRole('button', { name: 'Replay 3 dead letters' }));

    const deadLetters = screen.getByRole('region', { name: 'Dead letters' });
    await waitFor(() => expect(within(deadLetters).queryByText('3 dead letters')).not.toBeInTheDocument());
    expect(within(deadLetters).getByRole('status')).toHaveTextContent('Replay replay-7 started for 3 dead letters; follow it in the audit.');
    expect(api.posts()[0].body).toEqual({ fingerprint: '0123456789abcdef' });
  });

  it('says why an order is stuck and opens its timeline from there', async () => {
    const stuck: StuckOrdersView = {
      stuckAfterSeconds: 300,
      pathHealthy: true,
      orders: [
        {
          orderId: ORDER_ID,
          status: 'PENDING',
          createdAt: order('PENDING').createdAt,
          ageSeconds: 1_860,
          reason: { kind: 'outbox-unpublished', attempts: 4, lastError: 'channel closed' },
        },
      ],
      unknown: [],
    };
    const at = (seconds: number) => new Date(Date.parse('2030-05-01T10:00:00.000Z') + seconds * 1000).toISOString();
    installFakeApi(
      consoleRoutes({
        'GET /api/operations/orders/stuck': () => json(stuck),
        [`GET /api/operations/orders/${ORDER_ID}/timeline`]: () =>
          json({
            orderId: ORDER_ID,
            status: 'PENDING',
            entries: [
              { at: at(0), service: 'orders', step: 'accepted', detail: 'POST /api/orders', sincePreviousSeconds: null },
              { at: at(0.2), service: 'orders', step: 'outbox-written', detail: 'OrderPlaced', sincePreviousSeconds: 0.2 },
              { at: at(1_800), service: 'orders', step: 'retried', detail: 'channel closed', sincePreviousSeconds: 1_799.8 },
            ],
            unknown: ['inventory-service did not answer: its hops are missing'],
          }),
      }),
    );
    const { user } = renderShop('/operations');

    const stuckOrders = screen.getByRole('region', { name: 'Stuck orders' });
    expect(await within(stuckOrders).findByText(/still in order-service's outbox/)).toHaveTextContent(
      "Its message is still in order-service's outbox after 4 attempts (last error: channel closed).",
    );
    await user.click(within(stuckOrders).getByRole('link', { name: 'Order 0a0b0c0d: timeline' }));

    const timeline = screen.getByRole('region', { name: 'Timeline' });
    const hops = await within(timeline).findAllByRole('listitem');
    expect(hops.map((hop) => hop.querySelector('strong')?.textContent)).toEqual(['accepted', 'outbox-written', 'retried']);
    expect(hops[1]).toHaveTextContent('+0.2 s');
    expect(hops[2]).toHaveTextContent('+30 min');
    expect(timeline).toHaveTextContent('inventory-service did not answer: its hops are missing');
  });

  it("shows the order's trace id, monospace and copyable, with a link to the trace when order-service has one", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    installFakeApi(
      consoleRoutes({
        [`GET /api/operations/orders/${ORDER_ID}/timeline`]: () => json(orderTimeline({ traceId, traceUrl: `http://localhost:16686/trace/${traceId}` })),
      }),
    );
    const { user } = renderShop(`/operations?timeline=${ORDER_ID}`);

    const timeline = await screen.findByRole('region', { name: 'Timeline' });
    const id = await within(timeline).findByText(traceId);
    expect(id.tagName).toBe('CODE');
    expect(id).toHaveClass('console-trace__id');
    const link = within(timeline).getByRole('link', { name: 'Open the trace (opens in a new tab)' });
    expect(link).toHaveAttribute('href', `http://localhost:16686/trace/${traceId}`);
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noreferrer');

    await user.click(within(timeline).getByRole('button', { name: 'Copy the trace id' }));
    expect(await navigator.clipboard.readText()).toBe(traceId);
    expect(within(timeline).getByRole('status')).toHaveTextContent('Copied.');
  });

  it('shows the trace id without a link when order-service has no TRACE_URL_TEMPLATE, and says when there is none', async () => {
    installFakeApi(consoleRoutes({ [`GET /api/operations/orders/${ORDER_ID}/timeline`]: () => json(orderTimeline({ traceUrl: null })) }));
    const { unmount } = renderShop(`/operations?timeline=${ORDER_ID}`);

    const timeline = await screen.findByRole('region', { name: 'Timeline' });
    expect(await within(timeline).findByText('4bf92f3577b34da6a3ce929d0e0e4736')).toBeInTheDocument();
    expect(within(timeline).getAllByRole('listitem')).toHaveLength(2);
    expect(within(timeline).queryByRole('link', { name: /Open the trace/ })).not.toBeInTheDocument();
    unmount();

    installFakeApi(consoleRoutes({ [`GET /api/operations/orders/${ORDER_ID}/timeline`]: () => json(orderTimeline({ traceId: null, traceUrl: null })) }));
    renderShop(`/operations?timeline=${ORDER_ID}`);
    const again = await screen.findByRole('region', { name: 'Timeline' });
    expect(await within(again).findByText(/No trace id/)).toBeInTheDocument();
    expect(within(again).queryByRole('button', { name: 'Copy the trace id' })).not.toBeInTheDocument();
    expect(within(again).queryByRole('link', { name: /Open the trace/ })).not.toBeInTheDocument();
  });

  it('lists the latest audit entries of all services, newest first', async () => {
    installFakeApi(
      consoleRoutes({
        [`GET ${OPERATIONS_PREFIX.orders}/audit`]: () => json([auditEntry('orders', '2030-05-01T10:00:00.000Z', { operator: 'first' })]),
        [`GET ${OPERATIONS_PREFIX.inventory}/audit`]: () => json([auditEntry('inventory', '2030-05-01T12:00:00.000Z', { operator: 'last' })]),
        [`GET ${OPERATIONS_PREFIX.notifications}/audit`]: () => json([auditEntry('notifications', '2030-05-01T11:00:00.000Z', { operator: 'middle' })]),
      }),
    );
    renderShop('/operations');

    const audit = screen.getByRole('region', { name: 'Audit' });
    await within(audit).findByText('last');
    const operators = within(audit)
      .getAllByRole('row')
      .slice(1)
      .map((row) => row.querySelectorAll('td')[2].textContent);
    expect(operators).toEqual(['last', 'middle', 'first']);
  });

  it('discards a parked row with a reason', async () => {
    window.sessionStorage.setItem('shop.operations.operator', 'Ada');
    const row = parkedRow('inventory');
    const api = installFakeApi(
      consoleRoutes({
        [`GET ${OPERATIONS_PREFIX.inventory}/outbox/parked`]: () => json([row]),
        [`POST ${OPERATIONS_PREFIX.inventory}/outbox/parked/${row.id}/discard`]: () => new Response(null, { status: 204 }),
      }),
    );
    const { user } = renderShop('/operations');

    const parked = screen.getByRole('region', { name: 'Parked outbox rows' });
    await user.click(await within(parked).findByRole('button', { name: 'Discard…' }));
    await user.type(within(parked).getByLabelText(/Reason/), 'the order was cancelled by hand');
    await user.click(within(parked).getByRole('button', { name: 'Discard' }));

    expect(await within(parked).findByRole('status')).toHaveTextContent('Discarded.');
    expect(api.posts()[0].body).toEqual({ reason: 'the order was cancelled by hand' });
  });
});

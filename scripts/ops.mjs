#!/usr/bin/env node
// `pnpm ops`: the operators' console from a terminal. It talks to the running services' HTTP API
// (the same routes as the console at /operations) with the admin token, through the shop's front
// door: nginx in `docker compose up`, the Vite preview in `pnpm stack`, both at http://127.0.0.1:8080.
import { parseArgs } from 'node:util';

// OPERATED_SERVICES and OPERATIONS_PREFIX of libs/contracts/src/operations.ts (this script runs unbuilt).
const SERVICES = ['orders', 'inventory', 'notifications', 'payments'];
const SERVICE_NAMES = { orders: 'order-service', inventory: 'inventory-service', notifications: 'notification-service', payments: 'payment-service' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const FINGERPRINT = /^[0-9a-f]{16}$/;

const HELP = `pnpm ops <command> [options]

The shop's operators' tools: dead letters, stuck orders, an order's timeline, the audit.

Commands:
  dlq list                      open dead letters of every service, grouped by cause (fingerprint)
  dlq list --group <fp>         the open dead letters of one group
  dlq show <id>                 one dead letter: reason, headers, payload, and its order's current state
  dlq replay <id>               send it again to the queue it died in, under its own message id
                                (the inbox drops a message applied before: a replay never applies twice)
  dlq replay --group <fp>       replay a whole group, paced (--rate, default 50/s), stopping after
                                --max-failures (default 10) of them fail again
  dlq discard <id> --reason <text>   resolve it without sending it (the reason is audited)
  parked                        outbox rows set aside after the broker refused them too often
  parked retry <id>             publish a parked row again
  parked discard <id> --reason <text>
  stuck                         orders that stopped moving, with the best known reason
  timeline <order id>           an order's journey across the services, hop by hop
  audit                         the latest operator actions of every service

Options:
  --url <url>          the shop's front door (default $SHOP_URL or http://127.0.0.1:8080)
  --token <token>      the admin token (default $ADMIN_TOKEN or the development one, dev-admin-token-change-me)
  --operator <name>    who acts, recorded in the audit (default $OPERATOR, else $USER); actions need one
  --service <name>     orders, inventory, notifications or payments: where a dead letter or parked row is kept
                       (default: asked of each service in turn)
  --yes                act without asking for confirmation (scripts); otherwise actions ask first
  --json               print the API's answer as JSON
  -h, --help           this text

Exit status: 0 done, 1 the shop refused or could not be reached (the reason is printed), 2 usage error.
`;

class UsageError extends Error {}

function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        token: { type: 'string' },
        operator: { type: 'string' },
        service: { type: 'string' },
        group: { type: 'string' },
        reason: { type: 'string' },
        rate: { type: 'string' },
        'max-failures': { type: 'string' },
        yes: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err.message);
  }
  const { values, positionals } = parsed;
  if (values.service !== undefined && !SERVICES.includes(values.service))
    throw new UsageError(`--service must be one of ${SERVICES.join(', ')}, not "${values.service}"`);
  if (values.group !== undefined && !FINGERPRINT.test(values.group))
    throw new UsageError(`--group must be a 16-digit hex fingerprint (from \`pnpm ops dlq list\`), not "${values.group}"`);
  for (const name of ['rate', 'max-failures']) {
    if (values[name] !== undefined && !/^\d+$/.test(values[name])) throw new UsageError(`--${name} must be a whole number, not "${values[name]}"`);
  }
  const url = values.url ?? process.env.SHOP_URL ?? 'http://127.0.0.1:8080';
  try {
    if (!['http:', 'https:'].includes(new URL(url).protocol)) throw new Error();
  } catch {
    throw new UsageError(`--url must be an http(s) URL, not "${url}"`);
  }
  return { values, positionals, url: url.replace(/\/+$/, '') };
}

function createClient({ url, values }) {
  const token = values.token ?? process.env.ADMIN_TOKEN ?? 'dev-admin-token-change-me';
  const operator = values.operator ?? process.env.OPERATOR ?? process.env.USER;
  async function call(method, path, body) {
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') {
      if (!operator) throw new UsageError('actions are audited: name yourself with --operator <name> (or set OPERATOR)');
      headers['x-operator'] = operator;
    }
    let response;
    try {
      response = await fetch(`${url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new Error(`${url} does not answer (${err.cause?.message ?? err.message}): is the shop running (pnpm stack, or docker compose up)?`, { cause: err });
    }
    const text = await response.text();
    const answer = text ? JSON.parse(text) : null;
    if (!response.ok) {
      const error = new Error(`${method} ${path}: ${response.status} ${answer?.message ?? text}`);
      error.status = response.status;
      throw error;
    }
    return answer;
  }
  return { call, operator };
}

const prefix = (service) => `/api/operations/${service}`;

/** Asks each service (or the one named) and returns the answers, with a line for each that could not answer. */
async function fromEach(client, values, path) {
  const answers = [];
  const unknown = [];
  for (const service of values.service ? [values.service] : SERVICES) {
    try {
      answers.push({ service, answer: await client.call('GET', `${prefix(service)}${path}`) });
    } catch (err) {
      unknown.push(`${SERVICE_NAMES[service]}: ${err.message}`);
    }
  }
  return { answers, unknown };
}

/** The service that keeps dead letter (or parked row) `id`: the one named, or the first that knows it. */
async function findDeadLetter(client, values, id) {
  for (const service of values.service ? [values.service] : SERVICES) {
    try {
      return { service, letter: await client.call('GET', `${prefix(service)}/dead-letters/${id}`) };
    } catch (err) {
      if (err.status !== 404) throw err;
    }
  }
  throw new Error(`no service keeps a dead letter ${id}`);
}

const ago = (iso) => {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds} s ago` : seconds < 7200 ? `${Math.round(seconds / 60)} min ago` : `${Math.round(seconds / 3600)} h ago`;
};

function table(rows, columns) {
  if (rows.length === 0) return '';
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column] ?? '').length)));
  const line = (cells) =>
    cells
      .map((cell, index) => String(cell ?? '').padEnd(widths[index]))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => row[column])))].join('\n');
}

async function confirm(values, question) {
  if (values.yes) return;
  if (!process.stdin.isTTY) throw new UsageError(`${question} Add --yes to act without a terminal to confirm in.`);
  const { createInterface } = await import('node:readline/promises');
  const readline = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await readline.question(`${question} [y/N] `);
  readline.close();
  if (!/^y(es)?$/i.test(answer.trim())) throw new Error('not done: not confirmed');
}

async function orderState(client, orderId) {
  if (!orderId) return 'no order named in its payload';
  try {
    const order = await client.call('GET', `/api/orders/${orderId}`);
    return order.status === 'PENDING'
      ? `order ${orderId} is PENDING`
      : `order ${orderId} is already ${order.status}: a replay will change nothing (the inbox drops a message applied before)`;
  } catch (err) {
    return `order ${orderId}: its state is not known (${err.message})`;
  }
}

const commands = {
  async 'dlq list'(client, { values, print }) {
    if (values.group) {
      const { answers, unknown } = await fromEach(client, values, `/dead-letters?status=open&fingerprint=${values.group}`);
      const rows = answers.flatMap(({ service, answer }) =>
        answer.map((letter) => ({ service, id: letter.id, order: letter.orderId ?? '-', replay: letter.replayCount, failed: ago(letter.lastFailedAt) })),
      );
      return print({ letters: answers, unknown }, [
        table(rows, ['service', 'id', 'order', 'replay', 'failed']) || `no open dead letter in group ${values.group}`,
        ...unknown,
      ]);
    }
    const { answers, unknown } = await fromEach(client, values, '/dead-letters/groups');
    const rows = answers.flatMap(({ service, answer }) =>
      answer.map((group) => ({
        service,
        fingerprint: group.fingerprint,
        count: group.count,
        queue: group.queue,
        error: group.errorClass,
        first: ago(group.firstFailedAt),
        last: ago(group.lastFailedAt),
        reason: group.reason.length > 80 ? `${group.reason.slice(0, 77)}...` : group.reason,
      })),
    );
    return print({ groups: answers, unknown }, [
      table(rows, ['service', 'fingerprint', 'count', 'queue', 'error', 'first', 'last', 'reason']) || 'no open dead letters',
      ...unknown.map((line) => `cannot see ${line}`),
    ]);
  },

  async 'dlq show'(client, { values, positionals, print }) {
    const id = requireUuid(positionals[2], 'dlq show <id>');
    const { service, letter } = await findDeadLetter(client, values, id);
    const state = await orderState(client, letter.orderId);
    return print({ service, letter, orderState: state }, [
      `dead letter ${letter.id} (${SERVICE_NAMES[service]}, ${letter.status}${letter.resolvedBy ? ` by ${letter.resolvedBy}` : ''})`,
      `queue:       ${letter.queue}`,
      `message:     ${letter.messageId} (${letter.messageType ?? letter.routingKey})${letter.replayCount ? `, replay ${letter.replayCount} of ${letter.replayOf}` : ''}`,
      `reason:      ${letter.reason}`,
      `error class: ${letter.errorClass}; ${letter.attempts} attempts; first failed ${ago(letter.firstFailedAt)}, last ${ago(letter.lastFailedAt)}`,
      `fingerprint: ${letter.fingerprint}`,
      ...(letter.replay ? [`replay:      ${letter.replay.outcome}${letter.replay.failedAgainAs ? ` (as ${letter.replay.failedAgainAs})` : ''}`] : []),
      `order:       ${state}`,
      'headers:',
      JSON.stringify(letter.headers, null, 2),
      'payload:',
      letter.payload === null ? letter.body : JSON.stringify(letter.payload, null, 2),
    ]);
  },

  async 'dlq replay'(client, { values, positionals, print }) {
    if (values.group) {
      if (positionals[2]) throw new UsageError('dlq replay takes an id or --group <fingerprint>, not both');
      const service = values.service ?? (await groupService(client, values.group));
      const body = {
        fingerprint: values.group,
        ...(values.rate && { ratePerSecond: Number(values.rate) }),
        ...(values['max-failures'] && { maxFailures: Number(values['max-failures']) }),
      };
      await confirm(values, `Replay every open dead letter of group ${values.group} (${SERVICE_NAMES[service]})?`);
      const answer = await client.call('POST', `${prefix(service)}/dead-letters/replay`, body);
      return print(answer, [`replaying ${answer.selected} dead letters in the background; follow it with \`pnpm ops audit\` (audit ${answer.auditId})`]);
    }
    const id = requireUuid(positionals[2], 'dlq replay <id> | dlq replay --group <fingerprint>');
    const { service, letter } = await findDeadLetter(client, values, id);
    await confirm(values, `Replay dead letter ${id} to ${letter.queue}? ${await orderState(client, letter.orderId)}.`);
    const answer = await client.call('POST', `${prefix(service)}/dead-letters/${id}/replay`, {});
    return print(answer, [`replayed ${id} to ${letter.queue} as message ${answer.messageId} (audit ${answer.auditId})`]);
  },

  async 'dlq discard'(client, { values, positionals, print }) {
    const id = requireUuid(positionals[2], 'dlq discard <id> --reason <text>');
    if (!values.reason || values.reason.trim().length < 3) throw new UsageError('dlq discard needs --reason "<why>" (at least 3 characters): it is audited');
    const { service, letter } = await findDeadLetter(client, values, id);
    await confirm(values, `Discard dead letter ${id} of ${letter.queue} without sending it? ${await orderState(client, letter.orderId)}.`);
    const answer = await client.call('POST', `${prefix(service)}/dead-letters/${id}/discard`, { reason: values.reason });
    return print(answer, [`discarded ${id} (audit ${answer.auditId})`]);
  },

  async parked(client, { values, positionals, print }) {
    const action = positionals[1];
    if (action === undefined) {
      const { answers, unknown } = await fromEach(client, values, '/outbox/parked');
      const rows = answers.flatMap(({ service, answer }) =>
        answer.map((row) => ({
          service,
          id: row.id,
          event: row.routingKey,
          order: row.orderId ?? '-',
          attempts: row.attempts,
          parked: ago(row.parkedAt),
          error: row.lastError ?? '',
        })),
      );
      return print({ parked: answers, unknown }, [
        table(rows, ['service', 'id', 'event', 'order', 'attempts', 'parked', 'error']) || 'no parked outbox rows',
        ...unknown.map((line) => `cannot see ${line}`),
      ]);
    }
    if (action !== 'retry' && action !== 'discard') throw new UsageError(`parked takes retry <id> or discard <id>, not "${action}"`);
    const id = requireUuid(positionals[2], `parked ${action} <id>`);
    if (!values.service) throw new UsageError(`parked ${action} needs --service (${SERVICES.join(', ')}): the service whose outbox holds the row`);
    if (action === 'discard' && (!values.reason || values.reason.trim().length < 3))
      throw new UsageError('parked discard needs --reason "<why>" (at least 3 characters): it is audited');
    await confirm(values, `${action === 'retry' ? 'Publish' : 'Delete, never publishing,'} parked row ${id} of ${SERVICE_NAMES[values.service]}?`);
    const answer = await client.call('POST', `${prefix(values.service)}/outbox/parked/${id}/${action}`, action === 'retry' ? {} : { reason: values.reason });
    return print(answer, [`${action === 'retry' ? 'retried' : 'discarded'} ${id} (audit ${answer.auditId})`]);
  },

  async stuck(client, { print }) {
    const view = await client.call('GET', `${prefix('orders')}/stuck`);
    const rows = view.orders.map((order) => ({ order: order.orderId, age: `${order.ageSeconds} s`, reason: describeReason(order.reason) }));
    const lines = view.pathHealthy
      ? [table(rows, ['order', 'age', 'reason']) || `no stuck orders (none PENDING for more than ${view.stuckAfterSeconds} s)`]
      : ['inventory is offline or behind: every pending order is late, none is called stuck'];
    return print(view, [...lines, ...view.unknown.map((line) => `cannot see ${line}`)]);
  },

  async timeline(client, { positionals, print }) {
    const orderId = requireUuid(positionals[1], 'timeline <order id>');
    const view = await client.call('GET', `${prefix('orders')}/${orderId}/timeline`);
    const rows = view.entries.map((entry) => ({
      at: entry.at,
      '+s': entry.sincePreviousSeconds === null ? '' : entry.sincePreviousSeconds,
      service: entry.service,
      step: entry.step,
      detail: entry.detail,
    }));
    // The trace id, and the link to it when order-service has TRACE_URL_TEMPLATE (an older one sends neither).
    const trace = view.traceId ? [`trace ${view.traceId}${view.traceUrl ? ` ${view.traceUrl}` : ''}`] : [];
    return print(view, [
      `order ${orderId}: ${view.status}`,
      ...trace,
      table(rows, ['at', '+s', 'service', 'step', 'detail']),
      ...view.unknown.map((line) => `cannot see ${line}`),
    ]);
  },

  async audit(client, { values, print }) {
    const { answers, unknown } = await fromEach(client, values, '/audit?limit=50');
    const rows = answers
      .flatMap(({ answer }) => answer)
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, 50)
      .map((entry) => ({ at: entry.at, service: entry.service, operator: entry.operator, action: entry.action, target: entry.target, outcome: entry.outcome }));
    return print({ audit: answers, unknown }, [
      table(rows, ['at', 'service', 'operator', 'action', 'target', 'outcome']) || 'no operator actions yet',
      ...unknown.map((line) => `cannot see ${line}`),
    ]);
  },
};

function describeReason(reason) {
  switch (reason.kind) {
    case 'outbox-unpublished':
      return `order.placed not published yet (${reason.attempts} attempts${reason.lastError ? `; ${reason.lastError}` : ''})`;
    case 'outbox-parked':
      return `order.placed parked in the outbox: ${reason.lastError ?? 'no error kept'} (pnpm ops parked)`;
    case 'dead-letter':
      return `dead letter ${reason.deadLetterId} in ${SERVICE_NAMES[reason.service]}: ${reason.reason}`;
    default:
      return `unknown: ${reason.note}`;
  }
}

async function groupService(client, fingerprint) {
  for (const service of SERVICES) {
    const groups = await client.call('GET', `${prefix(service)}/dead-letters/groups`).catch(() => []);
    if (groups.some((group) => group.fingerprint === fingerprint)) return service;
  }
  throw new Error(`no service has an open group ${fingerprint}`);
}

function requireUuid(value, usage) {
  if (value === undefined) throw new UsageError(`usage: pnpm ops ${usage}`);
  if (!UUID.test(value)) throw new UsageError(`"${value}" is not an id (a UUID): pnpm ops ${usage}`);
  return value;
}

async function main(argv) {
  const { values, positionals, url } = parse(argv);
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    return positionals.length === 0 && !values.help ? 2 : 0;
  }
  const name = positionals[0] === 'dlq' ? `dlq ${positionals[1] ?? ''}`.trim() : positionals[0];
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${positionals.slice(0, positionals[0] === 'dlq' ? 2 : 1).join(' ')}"; see pnpm ops --help`);
  const print = (answer, lines) =>
    process.stdout.write(values.json ? `${JSON.stringify(answer, null, 2)}\n` : `${lines.filter((line) => line !== '').join('\n')}\n`);
  await command(createClient({ url, values }), { values, positionals, print });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof UsageError) {
      process.stderr.write(`pnpm ops: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`pnpm ops: ${err.message}\n`);
    process.exit(1);
  },
);

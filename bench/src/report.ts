import type { EmailResults } from './email';
import type { ClusterResults } from './cluster';
import type { SystemPerformance } from './compare';
import { FAULTS, type Fault, type FaultLosses } from './faults';
import type { GroupCommitResults } from './group-commit';
import type { GrowthResult } from './growth';
import type { Hops } from './hops';
import type { MemoryResults } from './memory';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round, type IntakeResult } from './load';

type ByConnections = Record<string, IntakeResult>;

/** B9 and B10 for one compared system: its performance, what it lost under each fault, or why it could not be measured. */
export interface SystemFigures {
  performance?: SystemPerformance;
  losses?: Record<Fault, FaultLosses>;
  error?: string;
}

/** `ours`, `bullmq`: a system's figures; `nestRmq`: one system per setting (`nestRmq.defaults`, `nestRmq.ack`). */
export type Baselines = Record<string, SystemFigures | Record<string, SystemFigures>>;

const isFigures = (value: SystemFigures | Record<string, SystemFigures>): value is SystemFigures =>
  Object.keys(value).length === 0 || 'performance' in value || 'losses' in value || 'error' in value;

/** Every system of `baselines` by its reported name (`nestRmq:defaults`), ours first. */
export function baselineSystems(b: Baselines): [string, SystemFigures][] {
  return Object.entries(b).flatMap(([key, value]) =>
    isFigures(value)
      ? [[key, value] as [string, SystemFigures]]
      : Object.entries(value).map(([setting, f]) => [`${key}:${setting}`, f] as [string, SystemFigures]),
  );
}

export interface BenchResults {
  machine: string;
  mode: 'quick' | 'full';
  takenAt: string;
  plan: Record<string, number>;
  intake?: { up: ByConnections; down: ByConnections };
  /** The intake statement prepared, as the service sends it. */
  ceilingTps?: number;
  /** The same, planned on every execution (pgbench -M extended). */
  ceilingExtendedTps?: number;
  ceilingByClients?: Record<string, number>;
  coupled?: { rps: number; p50ms: number; p99ms: number; byConnections: ByConnections; successWhenInventoryDown: number };
  ours?: { successWhenInventoryDown: number };
  e2e?: Record<string, { offeredPerSecond: number; acceptedPerSecond: number; confirmed: number; p50ms: number; p99ms: number; maxMs: number; hops?: Hops }>;
  drainPerSecond?: number;
  drain?: { orders: number; timeToEmptyS: number; drainSpanS: number; cpuMsPerOrder: Record<string, number> };
  relayPerSecond?: number | null;
  relay?: { orders: number; waitingAtRestore: number; timeToEmptyS: number };
  rssMb?: Record<string, number>;
  /** B8: intake at 32 connections and POST → CONFIRMED at 100/s, spans exported against tracing off (means of two turns each). */
  tracing?: {
    off: TracingFigures;
    exported: TracingFigures;
    /** OTLP export requests the sink received, and their size. */
    exports: number;
    exportedKb: number;
  };
  /** B9 and B10: ours and each baseline, from the same run (`baselines.ours`, `baselines.bullmq`, `baselines.nestRmq.defaults`...). */
  baselines?: Baselines;
  /** B11: group commit on intake against one statement per order (INTAKE_BATCH_MAX=1), means of two turns each. */
  groupCommit?: GroupCommitResults;
  /** One private RabbitMQ node against a three-node cluster, and S6 (the queue leader killed). */
  cluster?: ClusterResults;
  /** B14: memory of each service idle and at steady load, and of order-service around 2,000 event streams. */
  memory?: MemoryResults;
  /** B12: emails drained and confirmed-to-email latency at fixed offered rates, and a backlog drained. */
  email?: EmailResults;
  /** Messages left in the deployed topology's queues at the end of the run (empty: none piled up). */
  queueDepthsAtEnd?: Record<string, number>;
  /** B13: intake, drain and POST → final with 0 / 1M / 5M orders stored (quick: 0 / 200k / 1M). */
  growth?: GrowthResult;
  ratios?: Record<string, number>;
  targets?: Target[];
  /** Set by `combine`: the run (time and mode) each phase's figures come from. */
  parts?: Record<string, string>;
}

interface TracingFigures {
  intakeRps: number;
  intakeP99ms: number;
  p50ms: number;
  p99ms: number;
}

interface Target {
  name: string;
  measured: number;
  goal: string;
  met: boolean;
}

export function describeMachine(): string {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1]);
  const nproc = execFileSync('nproc').toString().trim();
  return `${nproc} cores (nproc), ${cpu}, ${Math.round(memKb / 1024 / 1024)} GiB, Node ${process.version}`;
}

/** Ratios between figures of the same run, and the issue's targets. */
function evaluate(r: BenchResults): void {
  const ratios: Record<string, number> = {};
  const targets: Target[] = [];
  const atLeast = (name: string, measured: number, goal: number) => targets.push({ name, measured, goal: `≥ ${goal}`, met: measured >= goal });
  const below = (name: string, measured: number, goal: number) => targets.push({ name, measured, goal: `< ${goal}`, met: measured < goal });
  const up = r.intake?.up.c32;
  const down = r.intake?.down.c32;
  if (up && r.ceilingTps) {
    ratios.intakeC32OverCeiling = round(up.rps / r.ceilingTps);
    atLeast('intake at 32 connections (inventory up) / pgbench ceiling', ratios.intakeC32OverCeiling, 0.5);
  }
  if (up) below('intake p99 at 32 connections, inventory up (ms)', up.p99ms, 30);
  // With inventory down the services do intake only: what intake costs without the downstream work sharing the cores.
  if (down && r.ceilingTps) {
    ratios.intakeDownC32OverCeiling = round(down.rps / r.ceilingTps);
    atLeast('same, inventory down: intake / ceiling', ratios.intakeDownC32OverCeiling, 0.5);
  }
  if (down) below('same, inventory down: p99 (ms)', down.p99ms, 30);
  if (up && down) {
    ratios.intakeDownOverUp = round(down.rps / up.rps);
    atLeast('intake with inventory down / up (32 connections)', ratios.intakeDownOverUp, 0.95);
  }
  if (up && r.coupled) {
    ratios.oursOverCoupledRps = round(up.rps / r.coupled.rps);
    ratios.oursOverCoupledP99 = round(up.p99ms / r.coupled.p99ms);
  }
  if (r.tracing) {
    ratios.tracingIntakeOverOff = round(r.tracing.exported.intakeRps / r.tracing.off.intakeRps);
    ratios.tracingConfirmP50OverOff = round(r.tracing.exported.p50ms / r.tracing.off.p50ms);
    ratios.tracingConfirmP99OverOff = round(r.tracing.exported.p99ms / r.tracing.off.p99ms);
  }
  const ours = r.baselines?.ours;
  if (ours && isFigures(ours)) {
    for (const [name, other] of baselineSystems(r.baselines!)) {
      if (name === 'ours') continue;
      const key = name.replace(/:(.)/, (_, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase());
      const [o, b] = [ours.performance, other.performance];
      if (o && b) {
        // No ratio against a figure of 0 (a system that took nothing): its row says so.
        if (b.intake.up.c32.rps > 0) ratios[`oursOver${key}IntakeC32`] = round(o.intake.up.c32.rps / b.intake.up.c32.rps);
        for (const [rate, e] of Object.entries(o.e2e)) if (b.e2e[rate]?.p99ms > 0) ratios[`oursOver${key}P99${rate}`] = round(e.p99ms / b.e2e[rate].p99ms);
      }
    }
  }
  if (r.groupCommit) {
    for (const [key, ratio] of Object.entries(r.groupCommit.ratios)) ratios[`groupCommitRps${key.toUpperCase()}`] = ratio.rps;
  }
  if (r.drainPerSecond !== undefined) atLeast('drain after inventory outage (orders/s)', r.drainPerSecond, 1500);
  const e2e500 = r.e2e?.r500;
  if (e2e500) below('POST → CONFIRMED p99 at 500 orders/s (ms)', e2e500.p99ms, 100);
  r.ratios = ratios;
  r.targets = targets;
}

export function markdown(r: BenchResults): string {
  const byRun = new Map<string, string[]>();
  for (const [phase, run] of Object.entries(r.parts ?? {})) byRun.set(run, [...(byRun.get(run) ?? []), phase]);
  const taken = r.parts
    ? `Combined from ${byRun.size} runs (${[...byRun].map(([run, phases]) => `${phases.join(', ')}: ${run}`).join('; ')}), on ${r.machine}`
    : `Taken ${r.takenAt.slice(0, 16).replace('T', ' ')} UTC, ${r.mode} run, on ${r.machine}`;
  const lines: string[] = [`${taken}; whole stack and load generator on the same machine.`, ''];
  if (r.intake) {
    lines.push(
      '| B1 intake, POST /api/orders | orders/s | p50 ms | p99 ms | errors | B3 coupled orders/s | coupled p99 ms |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    for (const state of ['up', 'down'] as const) {
      for (const [key, m] of Object.entries(r.intake[state])) {
        const c = state === 'up' ? r.coupled?.byConnections[key] : undefined;
        lines.push(
          `| inventory ${state}, ${key.slice(1)} connections | ${m.rps} | ${m.p50ms} | ${m.p99ms} | ${m.errors} | ${c?.rps ?? ''} | ${c?.p99ms ?? ''} |`,
        );
      }
    }
    lines.push('');
  }
  const rows: [string, string][] = [];
  const cpu = r.intake?.down.c32?.cpuMsPerOrder;
  if (cpu)
    rows.push([
      'B1 CPU ms per order, inventory down, 32 connections',
      `${Object.entries(cpu)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; ${r.intake!.down.c32.relayRowsPerBatch} rows per relay batch`,
    ]);
  if (r.ceilingTps)
    rows.push([
      'B2 pgbench ceiling, same transaction (tps)',
      `${r.ceilingTps} prepared, as the service sends it; ${r.ceilingExtendedTps} planned every time (${Object.entries(r.ceilingByClients ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ')})`,
    ]);
  if (r.coupled) {
    rows.push(['B3 coupled baseline, 32 connections', `${r.coupled.rps} orders/s, p99 ${r.coupled.p99ms} ms`]);
    rows.push(['B3 success with inventory down: coupled / ours', `${r.coupled.successWhenInventoryDown} / ${r.ours?.successWhenInventoryDown ?? 'n/a'}`]);
  }
  if (r.tracing) {
    const { off, exported } = r.tracing;
    rows.push([
      'B8 tracing exported / off: intake at 32 connections',
      `${exported.intakeRps} / ${off.intakeRps} orders/s (×${r.ratios?.tracingIntakeOverOff}), p99 ${exported.intakeP99ms} / ${off.intakeP99ms} ms`,
    ]);
    rows.push([
      'B8 tracing exported / off: POST → CONFIRMED at 100/s',
      `p50 ${exported.p50ms} / ${off.p50ms} ms (×${r.ratios?.tracingConfirmP50OverOff}), p99 ${exported.p99ms} / ${off.p99ms} ms (×${r.ratios?.tracingConfirmP99OverOff}); ${r.tracing.exports} exports, ${r.tracing.exportedKb} KiB`,
    ]);
  }
  if (r.groupCommit) {
    const g = r.groupCommit;
    const cpu = (figures: Record<string, number>) => `order-service ${figures.orderService ?? 'n/a'}, postgres ${figures.postgres ?? 'n/a'}`;
    for (const key of Object.keys(g.batched)) {
      const [b, p, ratio] = [g.batched[key], g.perOrder[key], g.ratios[key]];
      rows.push([
        `B11 group commit / one statement per order, ${key.slice(1)} connections`,
        `${b.rps} / ${p.rps} orders/s (×${ratio.rps}), p50 ${b.p50ms} / ${p.p50ms} ms, p99 ${b.p99ms} / ${p.p99ms} ms (×${ratio.p99}); CPU ms per order ${cpu(b.cpuMsPerOrder)} / ${cpu(p.cpuMsPerOrder)}; errors ${b.errors} / ${p.errors}`,
      ]);
    }
  }
  for (const g of r.growth?.rows ?? []) {
    const ratio = r.growth?.ratios[`s${g.storedOrders}`];
    rows.push([
      `B13 with ${g.storedOrders} orders stored`,
      `intake ${g.intakeRps} orders/s (p99 ${g.intakeP99ms} ms), drain ${g.drainPerSecond} orders/s, POST → final p50 ${g.e2eP50ms} / p99 ${g.e2eP99ms} ms at 100/s` +
        (ratio ? `; against 0 stored: intake ×${ratio.intakeRps}, drain ×${ratio.drainPerSecond}, p99 ×${ratio.e2eP99ms}` : '') +
        `; seeded in ${g.seedSeconds} s, ${Object.entries(g.databaseMb)
          .map(([db, mb]) => `${db} ${mb} MiB`)
          .join(', ')}`,
    ]);
  }
  for (const e of Object.values(r.e2e ?? {})) {
    rows.push([`B4 POST → CONFIRMED at ${e.offeredPerSecond}/s offered`, `p50 ${e.p50ms} ms, p99 ${e.p99ms} ms, max ${e.maxMs} ms (${e.confirmed} orders)`]);
    if (e.hops) {
      rows.push([
        `B4 hops at ${e.offeredPerSecond}/s, p50 / p99 ms`,
        Object.entries(e.hops)
          .map(([hop, { p50, p99 }]) => `${hop} ${p50} / ${p99}`)
          .join(', '),
      ]);
    }
  }
  for (const e of Object.values(r.email?.byRate ?? {})) {
    rows.push([
      `B12 confirmed → email at ${e.offeredPerSecond}/s offered`,
      `p50 ${e.p50ms} ms, p99 ${e.p99ms} ms` +
        // Absent from reports of runs before it was measured.
        (e.postToEmailP99ms === undefined ? '' : `; POST → email p50 ${e.postToEmailP50ms} ms, p99 ${e.postToEmailP99ms} ms`) +
        `; ${e.emailsPerSecond} emails/s (${e.confirmed} orders, ${e.failed} failed, ${e.duplicates} duplicates)`,
    ]);
  }
  if (r.email) {
    const b = r.email.backlog;
    rows.push(['B12 email backlog drained', `${b.emailsPerSecond} emails/s; ${b.emails} emails of ${b.orders} orders sent ${b.timeToEmptyS} s after start`]);
  }
  if (r.queueDepthsAtEnd) {
    const left = Object.entries(r.queueDepthsAtEnd);
    rows.push(['queues not empty at the end', left.length === 0 ? 'none' : left.map(([queue, n]) => `${queue} ${n}`).join(', ')]);
  }
  if (r.drain) {
    rows.push(['B5 drain after inventory outage', `${r.drainPerSecond} orders/s; ${r.drain.orders} orders empty ${r.drain.timeToEmptyS} s after start`]);
    rows.push([
      'B5 CPU ms per order while draining',
      Object.entries(r.drain.cpuMsPerOrder)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
  }
  if (r.relay)
    rows.push([
      'B5 outbox relay after broker outage',
      `${r.relayPerSecond} rows/s; ${r.relay.waitingAtRestore} rows published ${r.relay.timeToEmptyS} s after restore`,
    ]);
  if (r.rssMb)
    rows.push([
      'B6 peak RSS (MiB)',
      Object.entries(r.rssMb)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ]);
  if (r.memory) {
    const m = r.memory;
    rows.push([
      'B14 RSS / own (anonymous) MiB, idle → peak at 100 orders/s',
      Object.entries(m.services)
        .map(([k, v]) => `${k} ${v.idle.rssMb}/${v.idle.ownMb} → ${v.steady.rssMb}/${v.steady.ownMb}`)
        .join(', '),
    ]);
    const o = m.orderService;
    rows.push([
      `B14 order-service RSS / own MiB with ${m.streams} event streams`,
      `idle ${o.idle.rssMb}/${o.idle.ownMb}, open ${o.streamsOpen.rssMb}/${o.streamsOpen.ownMb}, ${o.afterS} s after they closed ${o.streamsClosed.rssMb}/${o.streamsClosed.ownMb}` +
        // (results from before the watch have no watchS)
        (o.watchS === undefined
          ? ''
          : o.backToIdleAfterS === null
            ? `, not back within 10% of idle in ${o.watchS} s`
            : `, back within 10% of idle ${o.backToIdleAfterS} s after`),
    ]);
  }
  if (r.cluster) rows.push(...clusterRows(r.cluster));
  if (r.baselines) lines.push(...baselinesTable(r.baselines));
  for (const [name, value] of Object.entries(r.ratios ?? {})) rows.push([`ratio ${name}`, String(value)]);
  lines.push('| measure | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '');
  if (r.targets?.length) {
    lines.push(
      '| target | measured | goal | met |',
      '|---|---:|---|---|',
      ...r.targets.map((t) => `| ${t.name} | ${t.measured} | ${t.goal} | ${t.met ? 'yes' : '**no**'} |`),
      '',
    );
  }
  return lines.join('\n');
}

const FAULT_LABELS: Record<Fault, string> = { ordersKilled: 'orders killed', queueKilled: 'queue killed', consumerKilled: 'consumer killed' };

/** B9 and B10: one row per system, ours first. */
function baselinesTable(b: Baselines): string[] {
  const lines = [
    '| B9 / B10 system | intake c16 / c32 / c64, consumer up | same, consumer down | POST → processed p50 / p99 ms at 100/s | at 500/s | drain orders/s | CPU ms per order | peak RSS MiB (orders, consumer) | ' +
      FAULTS.map((f) => `${FAULT_LABELS[f]}: lost/accepted, twice, stranded`).join(' | ') +
      ' |',
    `|---|---|---|---|---|---:|---:|---|${FAULTS.map(() => '---|').join('')}`,
  ];
  for (const [name, f] of baselineSystems(b)) {
    const p = f.performance;
    const intake = (state: 'up' | 'down') =>
      p
        ? Object.values(p.intake[state])
            .map((m) => m.rps)
            .join(' / ')
        : '';
    const e2e = (rate: string) => (p?.e2e[rate] ? `${p.e2e[rate].p50ms} / ${p.e2e[rate].p99ms}` : '');
    const losses = FAULTS.map((fault) => {
      const l = f.losses?.[fault];
      return l ? `${l.lost}/${l.accepted}, ${l.appliedTwice}, ${l.stranded}${l.settledCleanly ? '' : ' (not settled)'}` : '';
    });
    const cells = p
      ? [
          intake('up'),
          intake('down'),
          e2e('r100'),
          e2e('r500'),
          String(p.drain.perSecond),
          String(p.cpuMsPerOrder.total ?? ''),
          `${p.rssMb.orders}, ${p.rssMb.consumer}`,
        ]
      : ['', '', '', '', '', '', ''];
    lines.push(`| ${name}${f.error ? ` (failed: ${f.error.split('\n')[0].slice(0, 120)})` : ''} | ${[...cells, ...losses].join(' | ')} |`);
  }
  lines.push('');
  return lines;
}

function clusterRows(c: ClusterResults): [string, string][] {
  const rows: [string, string][] = [];
  for (const b of [c.oneNode, c.threeNodes]) {
    const name = b.nodes === 1 ? 'one node' : `${b.nodes} nodes`;
    rows.push([
      `cluster, ${name}: intake (32 connections), drain`,
      `${b.intake.rps} orders/s, p99 ${b.intake.p99ms} ms, rabbitmq CPU ${b.intake.cpuMsPerOrder?.rabbitmq ?? 'n/a'} ms per order; drain ${b.drain.perSecond} orders/s`,
    ]);
    rows.push([
      `cluster, ${name}: POST → CONFIRMED p50 / p99`,
      Object.values(b.e2e)
        .map((e) => `${e.offeredPerSecond}/s ${e.p50ms} / ${e.p99ms} ms`)
        .join(', '),
    ]);
  }
  rows.push([
    'cluster: three nodes / one node',
    `${Object.entries(c.ratios)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}; cluster started in ${c.startS} s`,
  ]);
  if (c.s6) {
    const s = c.s6;
    rows.push([
      'S6 leader of inventory.order-placed SIGKILLed',
      `publishing paused ${s.publishPauseS} s (ordinary gap ${s.normalMaxGapS} s); ${s.accepted} accepted at ${s.offeredPerSecond}/s, ${s.intakeErrors} intake errors, ${s.confirmed} confirmed, ${s.republished} republished; p99 ${s.p99ms} ms, max ${s.maxMs} ms`,
    ]);
    rows.push(['S6 with that node down', `drain ${s.drainWhileDown.perSecond} orders/s; node back with every quorum queue whole ${s.restartS} s after start`]);
  }
  if (c.s6Error) rows.push(['S6 leader of inventory.order-placed SIGKILLed', `failed: ${c.s6Error}`]);
  return rows;
}

/** The run a phase's figures came from, for a chart's caption: the part of a combined report, else the run itself. */
function runOf(r: BenchResults, phase: string): string {
  const part = r.parts?.[phase];
  if (!part) return `${r.machine}, ${r.mode} run`;
  return part.includes(' on ') ? part : `${part} run on ${r.machine}`;
}

/** Grouped bars: orders/s and p99 per connection count, ours (inventory up and down) against the coupled baseline. */
export function intakeSvg(r: BenchResults): string {
  const keys = Object.keys(r.intake?.up ?? {});
  const series = [
    { name: 'ours, inventory up', color: '#2f6fdf', data: r.intake?.up },
    { name: 'ours, inventory down', color: '#7fb0ff', data: r.intake?.down },
    { name: 'coupled baseline', color: '#d9822b', data: r.coupled?.byConnections },
  ].filter((s) => s.data);
  const panel = (x0: number, title: string, pick: (m: IntakeResult) => number) => {
    const max = Math.max(1, ...series.flatMap((s) => keys.map((k) => (s.data?.[k] ? pick(s.data[k]) : 0))));
    const [w, h, top] = [380, 220, 50];
    const group = w / keys.length;
    const bar = (group - 20) / series.length;
    const parts = [
      `<text x="${x0 + w / 2}" y="30" text-anchor="middle" font-weight="bold">${title}</text>`,
      `<line x1="${x0}" y1="${top + h}" x2="${x0 + w}" y2="${top + h}" stroke="#333"/>`,
    ];
    keys.forEach((k, gi) => {
      series.forEach((s, si) => {
        const value = s.data?.[k] ? pick(s.data[k]) : 0;
        const bh = (value / max) * h;
        const x = x0 + gi * group + 10 + si * bar;
        parts.push(`<rect x="${x}" y="${top + h - bh}" width="${bar - 2}" height="${bh}" fill="${s.color}"/>`);
        parts.push(`<text x="${x + bar / 2 - 1}" y="${top + h - bh - 4}" text-anchor="middle" font-size="10">${value}</text>`);
      });
      parts.push(`<text x="${x0 + gi * group + group / 2}" y="${top + h + 16}" text-anchor="middle" font-size="12">${k.slice(1)} connections</text>`);
    });
    return parts.join('');
  };
  const legend = series
    .map(
      (s, i) => `<rect x="${40 + i * 200}" y="312" width="12" height="12" fill="${s.color}"/><text x="${58 + i * 200}" y="322" font-size="12">${s.name}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="360" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(30, 'POST /api/orders: orders/s', (m) => m.rps),
    panel(450, 'POST /api/orders: p99 latency (ms)', (m) => m.p99ms),
    legend,
    `<text x="430" y="350" text-anchor="middle" font-size="11" fill="#555">${escapeXml(runOf(r, 'intake'))}</text>`,
    `</svg>`,
  ].join('');
}

/** B9 and B10: intake at 32 connections (consumer up) per system, and the orders each lost per fault. */
export function baselinesSvg(r: BenchResults): string {
  const systems = baselineSystems(r.baselines ?? {});
  const [w, h, top] = [380, 220, 50];
  const group = w / Math.max(1, systems.length);
  const colors: Record<Fault, string> = { ordersKilled: '#d9822b', queueKilled: '#b53737', consumerKilled: '#7a4fbf' };
  const frame = (x0: number, title: string) => [
    `<text x="${x0 + w / 2}" y="30" text-anchor="middle" font-weight="bold">${title}</text>`,
    `<line x1="${x0}" y1="${top + h}" x2="${x0 + w}" y2="${top + h}" stroke="#333"/>`,
    ...systems.map(([name], i) => `<text x="${x0 + i * group + group / 2}" y="${top + h + 16}" text-anchor="middle" font-size="11">${escapeXml(name)}</text>`),
  ];
  const bars = (x0: number, series: { color: string; value: (f: SystemFigures) => number | undefined }[]) => {
    const max = Math.max(1, ...systems.flatMap(([, f]) => series.map((s) => s.value(f) ?? 0)));
    const bar = (group - 20) / series.length;
    return systems.flatMap(([, f], gi) =>
      series.map((s, si) => {
        const value = s.value(f);
        const bh = ((value ?? 0) / max) * h;
        const x = x0 + gi * group + 10 + si * bar;
        return `<rect x="${x}" y="${top + h - bh}" width="${bar - 2}" height="${bh}" fill="${s.color}"/><text x="${x + bar / 2 - 1}" y="${top + h - bh - 4}" text-anchor="middle" font-size="10">${value ?? 'n/a'}</text>`;
      }),
    );
  };
  const legend = FAULTS.map(
    (f, i) =>
      `<rect x="${470 + i * 130}" y="312" width="12" height="12" fill="${colors[f]}"/><text x="${488 + i * 130}" y="322" font-size="12">${FAULT_LABELS[f]}</text>`,
  ).join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="860" height="360" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...frame(30, 'POST /api/orders at 32 connections: orders/s'),
    ...bars(30, [{ color: '#2f6fdf', value: (f) => f.performance?.intake.up.c32?.rps }]),
    ...frame(450, 'orders lost (201 answered, never processed)'),
    ...bars(
      450,
      FAULTS.map((fault) => ({ color: colors[fault], value: (f: SystemFigures) => f.losses?.[fault]?.lost })),
    ),
    legend,
    `<text x="430" y="350" text-anchor="middle" font-size="11" fill="#555">${escapeXml(runOf(r, 'baselines'))}</text>`,
    `</svg>`,
  ].join('');
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Prints the table and writes this run's figures to `outDir` (an ignored folder): latest.json,
 * intake.svg and figures.md. `pnpm results:publish` copies them into bench/results/ and the
 * figures block of bench/README.md; a bench run itself changes no tracked file.
 */
export function writeReport(r: BenchResults, outDir: string): void {
  evaluate(r);
  const table = markdown(r);
  process.stdout.write(`${table}\n`);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(r, null, 2)}\n`);
  if (r.intake) writeFileSync(join(outDir, 'intake.svg'), `${intakeSvg(r)}\n`);
  if (r.baselines) writeFileSync(join(outDir, 'baselines.svg'), `${baselinesSvg(r)}\n`);
  writeFileSync(join(outDir, 'figures.md'), `${table}\n`);
  process.stdout.write(`\nwritten to ${outDir}; \`pnpm results:publish bench\` copies them into bench/\n`);
}

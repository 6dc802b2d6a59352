import type { ClusterResults } from './cluster';
import type { GrowthResult } from './growth';
import type { Hops } from './hops';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { round, type IntakeResult } from './load';

type ByConnections = Record<string, IntakeResult>;

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
  /** One private RabbitMQ node against a three-node cluster, and S6 (the queue leader killed). */
  cluster?: ClusterResults;
  /** B13: intake, drain and POST → final with 0 / 1M / 5M orders stored (quick: 0 / 200k / 1M). */
  growth?: GrowthResult;
  ratios?: Record<string, number>;
  targets?: Target[];
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
  if (r.drainPerSecond !== undefined) atLeast('drain after inventory outage (orders/s)', r.drainPerSecond, 1500);
  const e2e500 = r.e2e?.r500;
  if (e2e500) below('POST → CONFIRMED p99 at 500 orders/s (ms)', e2e500.p99ms, 100);
  r.ratios = ratios;
  r.targets = targets;
}

export function markdown(r: BenchResults): string {
  const lines: string[] = [
    `Taken ${r.takenAt.slice(0, 16).replace('T', ' ')} UTC, ${r.mode} run, on ${r.machine}; whole stack and load generator on the same machine.`,
    '',
  ];
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
  if (r.cluster) rows.push(...clusterRows(r.cluster));
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
    `<text x="430" y="350" text-anchor="middle" font-size="11" fill="#555">${escapeXml(r.machine)}, ${r.mode} run</text>`,
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
  writeFileSync(join(outDir, 'figures.md'), `${table}\n`);
  process.stdout.write(`\nwritten to ${outDir}; \`pnpm results:publish bench\` copies them into bench/\n`);
}

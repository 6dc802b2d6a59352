import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system) in ms, of one process, of every process with this command name, of every
 * process in these process groups, or of these processes and everything in their groups.
 */
function cpuMs(filter: { pid?: number; comm?: string; groups?: number[]; pidsOrGroups?: number[] }): number {
  const pids = filter.pid ? [String(filter.pid)] : readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (filter.comm && comm !== filter.comm) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (filter.groups && !filter.groups.includes(Number(fields[2]))) continue;
      if (filter.pidsOrGroups && !filter.pidsOrGroups.includes(Number(pid)) && !filter.pidsOrGroups.includes(Number(fields[2]))) continue;
      // utime, stime, and cutime, cstime: the CPU of children that ended (a PostgreSQL backend whose
      // connection closed between two snapshots is then counted in its postmaster's figures).
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      // the process ended meanwhile
    }
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

export type CpuSnapshot = Record<string, number>;

/**
 * CPU used so far by each service, by all PostgreSQL processes, by RabbitMQ and by this process. The server
 * processes are shared with anything else on the machine, so take the difference over a busy phase.
 */
export function cpuSnapshot(services: Record<string, number | undefined>, brokerGroups?: number[], servers: Record<string, number[]> = {}): CpuSnapshot {
  const own = process.cpuUsage();
  const snapshot: CpuSnapshot = { postgres: cpuMs({ comm: 'postgres' }), rabbitmq: cpuMs({ comm: 'beam.smp' }), loadGenerator: (own.user + own.system) / 1000 };
  // A broker of the bench's own (its nodes' process groups): its CPU alone, not that of every RabbitMQ on the machine.
  if (brokerGroups) snapshot.rabbitmq = cpuMs({ groups: brokerGroups });
  for (const [name, pid] of Object.entries(services)) if (pid) snapshot[name] = cpuMs({ pid });
  // A compared system's own queue server (a private RabbitMQ node, a private Redis): its pids or process groups.
  for (const [name, pidsOrGroups] of Object.entries(servers)) if (pidsOrGroups.length) snapshot[name] = cpuMs({ pidsOrGroups });
  return snapshot;
}

/** CPU milliseconds per unit of work between two snapshots. */
export function cpuPer(before: CpuSnapshot, after: CpuSnapshot, units: number): Record<string, number> {
  // A negative difference means the process was replaced (e.g. a restarted broker): no figure.
  return Object.fromEntries(
    Object.keys(after)
      .filter((name) => after[name] >= (before[name] ?? 0))
      .map((name) => [name, Math.round(((after[name] - (before[name] ?? 0)) / units) * 100) / 100]),
  );
}

import type { SystemUnderTest } from '../system';
import { startBullmq } from './bullmq';
import { startNestRmq } from './nest-rmq';
import { startOurs } from './ours';

/**
 * Every system the `baselines` and `faults` phases compare, by the key its figures are reported
 * under (`nestRmq:defaults` lands in `baselines.nestRmq.defaults`). Each is started fresh, measured
 * and closed in turn, in this order, so the ratios come from one run.
 */
export const SYSTEMS: Record<string, (dir: string, log: (message: string) => void) => Promise<SystemUnderTest>> = {
  ours: startOurs,
  bullmq: startBullmq,
  'nestRmq:defaults': (dir, log) => startNestRmq(dir, 'defaults', log),
  'nestRmq:ack': (dir, log) => startNestRmq(dir, 'ack', log),
};

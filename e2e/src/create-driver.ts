import type { SystemDriver, SystemOptions } from './driver';

/** The driver `E2E_DRIVER` names (default `process`); each is loaded only when chosen. */
export async function createDriver(options: SystemOptions = {}): Promise<SystemDriver> {
  const name = process.env.E2E_DRIVER ?? 'process';
  if (name === 'process') return new (await import('./process-driver')).ProcessDriver(options);
  if (name === 'compose') return new (await import('./compose-driver')).ComposeDriver();
  throw new Error(`E2E_DRIVER must be "process" or "compose", not "${name}"`);
}

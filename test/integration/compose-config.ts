import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(__dirname, '../..');

/** The compose tools a config check runs with, each that is installed: docker-compose 1.29 and `docker compose` v2 (neither needs an engine for `config`). */
export const COMPOSE_TOOLS = [
  { name: 'docker-compose', command: ['docker-compose'] },
  { name: 'docker compose', command: ['docker', 'compose'] },
].filter((tool) => spawnSync(tool.command[0], [...tool.command.slice(1), 'version'], { encoding: 'utf8' }).status === 0);

/**
 * The services of the repository's compose files as `command` resolves them (`args`: the files,
 * profiles), without the caller's variables that `unset` matches (the files' own defaults are what is
 * checked) and with `variables` set.
 */
export function resolvedServices<Service>(command: string[], args: string[], unset: RegExp, variables: Record<string, string> = {}): Record<string, Service> {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!unset.test(name)) env[name] = value;
  const run = spawnSync(command[0], [...command.slice(1), '-p', 'shop-config-check', ...args, 'config'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...env, ...variables },
  });
  if (run.status !== 0) throw new Error(`${command.join(' ')} ${args.join(' ')} config failed: ${run.stderr}`);
  return parse(run.stdout).services;
}

/**
 * Where no compose tool is installed, one placeholder test for `what`, skipped with the reason in its
 * name: nothing can resolve the files, and a check that passed would claim what nobody checked. The
 * container environment (../shared/container-env) provides docker-compose 1.29, and CI always has it.
 */
export function placeholderWithoutComposeTools(suite: string, what: string): void {
  if (COMPOSE_TOOLS.length > 0) return;
  describe(suite, () => {
    // Skipped, not passed, for the reason in its name (see above).
    it.skip(`${what} (SKIPPED: neither docker-compose nor docker compose is installed)`, () => undefined);
  });
}

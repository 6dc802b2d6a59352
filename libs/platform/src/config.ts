import { z } from 'zod';

/** A start-up failure that names every variable that is missing or wrong. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the environment once, validates it, and fails with the names of the bad variables. */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  }
  return parsed.data;
}

/** Environment building blocks shared by the services. */
export const env = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  url: (protocols: string[], fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol);
          } catch {
            return false;
          }
        },
        `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
      ),
  /** One URL, or several separated by commas (the nodes of a cluster); every one must use one of the protocols. */
  urlList: (protocols: string[], fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value, ctx) => {
        const urls = value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '');
        const valid = (url: string) => {
          try {
            return protocols.includes(new URL(url).protocol);
          } catch {
            return false;
          }
        };
        if (urls.length === 0 || !urls.every(valid)) {
          ctx.addIssue({
            code: 'custom',
            message: `must be one URL or a comma-separated list of URLs, each starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
          });
          return z.NEVER;
        }
        return urls;
      }),
  positiveInt: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  intList: (fallback: number[]) =>
    z
      .string()
      .optional()
      .transform((value, ctx) => {
        if (value === undefined || value.trim() === '') return fallback;
        const numbers = value.split(',').map((part) => Number(part.trim()));
        if (numbers.some((n) => !Number.isInteger(n) || n <= 0)) {
          ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of positive whole numbers' });
          return z.NEVER;
        }
        return numbers;
      }),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
};

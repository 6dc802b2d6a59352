import { z } from 'zod';

/** A start-up failure that names every variable that is missing or wrong. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const postgresUrl = z
  .string()
  .default('postgres://postgres@127.0.0.1:5432/payment_provider')
  .refine((value) => {
    try {
      return ['postgres:', 'postgresql:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be a URL starting with postgres:// or postgresql://');

/** The provider's whole configuration: the environment, read once at start. */
export const providerEnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4010),
  HOST: z.string().trim().min(1, 'must be a host name or address').default('127.0.0.1'),
  /** Its own database (never the shop's); the tables are created at start, the database itself must exist. */
  PROVIDER_DATABASE_URL: postgresUrl,
  /** The secret key the shop's payment-service sends as `Authorization: Bearer <key>`. */
  PROVIDER_API_KEY: z.string().min(1, 'must not be empty').default('sk_test_shop'),
  /** How long the first answer for a tok_hang card is held back (the authorization itself commits at once). */
  PROVIDER_HANG_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type ProviderConfig = z.infer<typeof providerEnvSchema>;

export function loadProviderConfig(environment: NodeJS.ProcessEnv = process.env): ProviderConfig {
  const parsed = providerEnvSchema.safeParse(environment);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`));
  return parsed.data;
}

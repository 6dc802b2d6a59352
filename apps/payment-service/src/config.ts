import { ConfigError, env, loadConfig } from '@shop/platform';
import { serviceEnvSchema } from '@shop/service';
import { z } from 'zod';

export const paymentServiceEnvSchema = serviceEnvSchema({ port: 3004, metricsPort: 9467, database: 'payments' }).extend({
  /** The card processor's API (apps/payment-provider stands in for it locally). */
  PAYMENT_PROVIDER_URL: env.url(['http:', 'https:'], 'http://127.0.0.1:4010').transform((url) => url.replace(/\/+$/, '')),
  /** The shop's secret key at the provider, sent as `Authorization: Bearer <key>`. */
  PAYMENT_PROVIDER_API_KEY: z.string().trim().min(1, 'must be the secret API key of the provider').default('sk_test_shop'),
  /**
   * One provider call, connecting included: past it the outcome is unknown, and the message is
   * retried later with the same idempotency key. A call runs inside its message's transaction.
   */
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100, 'must be at least 100 (milliseconds)').default(5_000),
  /**
   * Messages of one type handled at once, each alone in its own transaction (a database connection
   * each): an authorization that hangs until its timeout holds up only its own order.
   */
  PAYMENT_CONCURRENCY: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').default(8),
});
export type PaymentServiceConfig = z.infer<typeof paymentServiceEnvSchema>;

/** Provider calls one message may make in its transaction: a void the provider refuses as already captured is followed by a refund. */
export const PROVIDER_CALLS_PER_MESSAGE = 2;

export function loadPaymentServiceConfig(environment: NodeJS.ProcessEnv = process.env): PaymentServiceConfig {
  const config = loadConfig(paymentServiceEnvSchema, environment);
  if (config.PAYMENT_PROVIDER_TIMEOUT_MS * PROVIDER_CALLS_PER_MESSAGE >= config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS) {
    throw new ConfigError([
      `PAYMENT_PROVIDER_TIMEOUT_MS: must be less than half of DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (${config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS}): up to two calls run inside a transaction`,
    ]);
  }
  if (config.PAYMENT_CONCURRENCY >= config.DATABASE_POOL_SIZE) {
    throw new ConfigError([
      `PAYMENT_CONCURRENCY: must be less than DATABASE_POOL_SIZE (${config.DATABASE_POOL_SIZE}): each payment in flight holds a connection, and the outbox relay needs its own`,
    ]);
  }
  return config;
}

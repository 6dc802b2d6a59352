import { ConfigError, env, loadConfig } from '@shop/platform';
import { SHOP_NAME } from '@shop/contracts';
import { serviceEnvSchema } from '@shop/service';
import { z } from 'zod';

/** `Name <address>` or a bare address; the Message-IDs are minted under the address's domain. */
const MAIL_FROM = /^(?:[^<>]*<)?[^<>@\s]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,}|localhost)>?$/;

export const notificationServiceEnvSchema = serviceEnvSchema({ port: 3003, metricsPort: 9466, database: 'notifications' }).extend({
  /** The mail server the emails are handed to: smtp:// (STARTTLS when offered) or smtps://, credentials in the URL. */
  SMTP_URL: env.url(['smtp:', 'smtps:'], 'smtp://127.0.0.1:1025'),
  /**
   * Connecting, the greeting and each SMTP reply: past it the send fails as an outage and is retried.
   * Below DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS, since a send runs inside its message's transaction.
   */
  SMTP_TIMEOUT_MS: env.positiveInt(10_000),
  /**
   * Connections the pooled SMTP transport keeps open, and so emails on their way at once, each in its
   * own transaction (a database connection each). A send waits on round trips (the database's and
   * the SMTP conversation's), not on CPU: with 3, one service drained about 40 emails/s on the bench
   * and fell behind 100 orders/s (two emails each).
   */
  SMTP_MAX_CONNECTIONS: env.positiveInt(10),
  /** The sender; a bare address is sent under the shop's name (SHOP_NAME of libs/contracts). */
  MAIL_FROM: z
    .string()
    .trim()
    .default('orders@shop.example')
    .refine((value) => MAIL_FROM.test(value), 'must be an address or "Name <address>"')
    .transform((value) => (value.includes('<') ? value : `${SHOP_NAME} <${value}>`)),
  /** Where the storefront is: an order's link is `${SHOP_URL}/orders/<orderId>`, a sign-in link `${SHOP_URL}/orders/sign-in#token=<token>`. */
  SHOP_URL: env.url(['http:', 'https:'], 'http://localhost:8080').transform((url) => url.replace(/\/+$/, '')),
});
export type NotificationServiceConfig = z.infer<typeof notificationServiceEnvSchema>;

export function loadNotificationServiceConfig(environment: NodeJS.ProcessEnv = process.env): NotificationServiceConfig {
  const config = loadConfig(notificationServiceEnvSchema, environment);
  if (config.SMTP_TIMEOUT_MS >= config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS) {
    throw new ConfigError([
      `SMTP_TIMEOUT_MS: must be less than DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS (${config.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS}): a send runs inside a transaction`,
    ]);
  }
  if (config.SMTP_MAX_CONNECTIONS >= config.DATABASE_POOL_SIZE) {
    throw new ConfigError([
      `SMTP_MAX_CONNECTIONS: must be less than DATABASE_POOL_SIZE (${config.DATABASE_POOL_SIZE}): each email on its way holds a database connection, and the dead-letter store and health checks need their own`,
    ]);
  }
  return config;
}

/** The domain of MAIL_FROM's address, under which the Message-IDs are minted. */
export const mailDomainOf = (mailFrom: string): string => MAIL_FROM.exec(mailFrom)![1];

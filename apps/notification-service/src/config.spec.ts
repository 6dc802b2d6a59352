import { SHOP_NAME } from '@shop/contracts';
import { ConfigError } from '@shop/platform';
import { loadNotificationServiceConfig, mailDomainOf } from './config';

describe('the notification service configuration', () => {
  it('defaults to the local mail catcher, its own database and the storefront on 8080', () => {
    expect(loadNotificationServiceConfig({})).toMatchObject({
      PORT: 3003,
      METRICS_PORT: 9466,
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/notifications',
      SMTP_URL: 'smtp://127.0.0.1:1025',
      MAIL_FROM: 'Common Goods <orders@shop.example>',
      SHOP_URL: 'http://localhost:8080',
    });
  });

  it.each([['http://mail.example:25'], ['127.0.0.1:1025'], ['smtp//nowhere']])('refuses SMTP_URL=%s at start, naming the variable', (url) => {
    expect(() => loadNotificationServiceConfig({ SMTP_URL: url })).toThrow(ConfigError);
    expect(() => loadNotificationServiceConfig({ SMTP_URL: url })).toThrow(/SMTP_URL: must be a URL starting with smtp:\/\/ or smtps:\/\//);
  });

  it("sends from a bare MAIL_FROM under the shop's one name, and keeps a name given with the address", () => {
    expect(loadNotificationServiceConfig({ MAIL_FROM: 'shop@mail.example' }).MAIL_FROM).toBe(`${SHOP_NAME} <shop@mail.example>`);
    expect(loadNotificationServiceConfig({ MAIL_FROM: 'Support <help@mail.example>' }).MAIL_FROM).toBe('Support <help@mail.example>');
  });

  it('refuses a MAIL_FROM without an address, and an SMTP timeout a transaction could not outlast', () => {
    expect(() => loadNotificationServiceConfig({ MAIL_FROM: 'Decoupled Shop' })).toThrow(/MAIL_FROM: must be an address/);
    expect(() => loadNotificationServiceConfig({ SMTP_TIMEOUT_MS: '30000' })).toThrow(
      /SMTP_TIMEOUT_MS: must be less than DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS/,
    );
  });

  it('refuses more SMTP connections than the database pool can hold transactions for', () => {
    expect(loadNotificationServiceConfig({}).SMTP_MAX_CONNECTIONS).toBe(10);
    expect(() => loadNotificationServiceConfig({ SMTP_MAX_CONNECTIONS: '10', DATABASE_POOL_SIZE: '10' })).toThrow(
      /SMTP_MAX_CONNECTIONS: must be less than DATABASE_POOL_SIZE \(10\)/,
    );
    expect(loadNotificationServiceConfig({ SMTP_MAX_CONNECTIONS: '9', DATABASE_POOL_SIZE: '10' }).SMTP_MAX_CONNECTIONS).toBe(9);
  });

  it('takes the Message-ID domain from MAIL_FROM and drops a trailing slash of SHOP_URL', () => {
    expect(mailDomainOf('Decoupled Shop <orders@shop.example>')).toBe('shop.example');
    expect(mailDomainOf('orders@mail.shop.example')).toBe('mail.shop.example');
    expect(loadNotificationServiceConfig({ SHOP_URL: 'https://shop.example/' }).SHOP_URL).toBe('https://shop.example');
  });
});

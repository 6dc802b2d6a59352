import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { HttpAppOptions } from '@shop/platform';
import { createServiceApp } from '@shop/service';
import { AppModule } from './app.module';
import type { OrderServiceConfig } from './config';
import { signInLimitsOf } from './sessions/sessions.module';
import { shopperPlugins } from './sessions/sign-in-limits';

/** The order service, wired and consuming stock results, not yet listening (main.ts and the tests listen). */
export function createOrderService(config: OrderServiceConfig, options: HttpAppOptions = {}): Promise<NestFastifyApplication> {
  // Cookies and the sign-in rate limits, before any route exists; then whatever plugins the caller adds.
  const ownPlugins = shopperPlugins(signInLimitsOf(config));
  const plugins = async (app: NestFastifyApplication) => {
    await ownPlugins(app);
    await options.plugins?.(app);
  };
  return createServiceApp(AppModule.forRoot(config), 'order-service', { server: config, ...options, plugins });
}

import { ConfigError, loadProviderConfig } from './config';
import { ProviderStartError, startPaymentProvider } from './server';

const VARIABLE_OF_OPTION = { databaseUrl: 'PROVIDER_DATABASE_URL', host: 'HOST', port: 'PORT' } as const;

async function main(): Promise<void> {
  const config = loadProviderConfig();
  const provider = await startPaymentProvider({
    host: config.HOST,
    port: config.PORT,
    databaseUrl: config.PROVIDER_DATABASE_URL,
    apiKey: config.PROVIDER_API_KEY,
    hangMs: config.PROVIDER_HANG_MS,
    logLevel: config.LOG_LEVEL,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`payment-provider: ${signal}, stopping`);
    provider.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('payment-provider: could not stop cleanly', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(`payment-provider: ${err.message}`);
  else if (err instanceof ProviderStartError) console.error(`payment-provider: ${VARIABLE_OF_OPTION[err.option]}: ${err.message}`);
  else console.error(err);
  process.exit(1);
});

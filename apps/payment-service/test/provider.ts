/**
 * The payment provider for payment-service's tests: the stand-in itself (apps/payment-provider, on
 * its own throwaway database), so the tests exercise the provider's real answers, idempotency and
 * ledger. Started on a chosen port so a test can stop it and bring it back where the service expects it.
 */
import { type LedgerEntry } from '@shop/contracts';
// By path, as test/integration reaches the apps: a workspace dependency would make the image build the provider too.
import { startPaymentProvider } from '../../payment-provider/src/server';

export interface ProviderHandle {
  url: string;
  close: () => Promise<void>;
  /** Every movement (authorize, capture, void, refund), oldest first; only those of one order with `reference`. */
  ledger: (reference?: string) => Promise<LedgerEntry[]>;
}

export const PROVIDER_API_KEY = 'sk_test_shop';
/** Longer than the service's provider timeout in these tests: a tok_hang answer is an unknown outcome. */
export const PROVIDER_HANG_MS = 3_000;

/** Starts the stand-in on 127.0.0.1 over `databaseUrl` (which keeps its state across a stop and start). */
export async function startProvider(options: { port: number; databaseUrl: string }): Promise<ProviderHandle> {
  const provider = await startPaymentProvider({
    port: options.port,
    databaseUrl: options.databaseUrl,
    apiKey: PROVIDER_API_KEY,
    hangMs: PROVIDER_HANG_MS,
    logLevel: 'silent',
  });
  return {
    url: provider.url,
    close: () => provider.close(),
    ledger: async (reference) => {
      const query = reference ? `?reference=${encodeURIComponent(reference)}` : '';
      const response = await fetch(`${provider.url}/v1/ledger${query}`, { headers: { authorization: `Bearer ${PROVIDER_API_KEY}` } });
      if (!response.ok) throw new Error(`the provider's ledger answered ${response.status}`);
      return (await response.json()) as LedgerEntry[];
    },
  };
}

import { CANCEL_TOKEN_HEADER } from '@shop/contracts';
import { isConnectionError } from './load-client';

export interface CancelStats {
  /** Cancels asked for (one per chosen order). */
  asked: number;
  /** 200: the order is CANCELLED. */
  cancelled: number;
  /** 409: the order was final already (rejected, say), so it stays as it is. */
  tooLate: number;
  /** Any other answer, by status: each one is a defect the scenario reports. */
  refused: Record<string, number>;
  /** Attempts repeated after a connection error (order-service killed, say). */
  retries: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Shoppers who change their mind: a share of the accepted orders is cancelled, each at a random
 * moment within `withinMs` of its 201 (some before inventory saw the order, some while payment is
 * authorized, some after it is confirmed), with the capability the 201 returned. A connection error
 * is retried, as a browser would; the outcome of every cancel is kept for the check.
 */
export class ShopperCancels {
  readonly stats: CancelStats = { asked: 0, cancelled: 0, tooLate: 0, refused: {}, retries: 0 };
  /** Order id → the status the cancel answered with (200 or 409). */
  readonly outcomes = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly options: {
      baseUrl: () => string;
      share: number;
      withinMs: number;
      giveUpAfterMs?: number;
    },
  ) {}

  /** Decides, for one accepted order, whether its shopper cancels it, and when. */
  consider(order: { id: string; cancelToken: string }): void {
    if (Math.random() >= this.options.share) return;
    this.stats.asked++;
    const cancelling: Promise<void> = sleep(Math.random() * this.options.withinMs)
      .then(() => this.cancel(order))
      .finally(() => this.pending.delete(cancelling));
    this.pending.add(cancelling);
  }

  /** Waits for every cancel asked for to be answered. */
  async settle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async cancel(order: { id: string; cancelToken: string }): Promise<void> {
    const giveUpAt = Date.now() + (this.options.giveUpAfterMs ?? 180_000);
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.options.baseUrl()}/api/orders/${order.id}/cancel`, {
          method: 'POST',
          headers: { [CANCEL_TOKEN_HEADER]: order.cancelToken },
          signal: AbortSignal.timeout(30_000),
        });
        await response.text();
        if (response.status === 200) this.stats.cancelled++;
        else if (response.status === 409) this.stats.tooLate++;
        else this.stats.refused[response.status] = (this.stats.refused[response.status] ?? 0) + 1;
        this.outcomes.set(order.id, response.status);
        return;
      } catch (err) {
        if (!isConnectionError(err) || Date.now() > giveUpAt) {
          const reason = `error: ${(err as Error).message}`;
          this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
          return;
        }
        this.stats.retries++;
        await sleep(Math.min(100 * 2 ** (attempt - 1), 1_000));
      }
    }
  }
}

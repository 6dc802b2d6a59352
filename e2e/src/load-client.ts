import { randomUUID } from 'node:crypto';

export interface LoadOptions {
  /** Looked up for every request: a container may come back on another port. */
  baseUrl: () => string;
  ratePerSecond: number;
  skus: readonly string[];
  /** Orders waiting for an answer (retries included); the rate pauses while this many are open. */
  maxInFlight?: number;
  requestTimeoutMs?: number;
  /** How long one order is retried through connection errors before the client gives up on it. */
  giveUpAfterMs?: number;
}

export interface LoadStats {
  placed: number;
  accepted: number;
  /** 201s that carried `Idempotent-Replayed: true`: a retry found the order its lost attempt had stored. */
  replayed: number;
  /** Attempts repeated, with the same key and body, after a connection error. */
  retries: number;
  /** Answers other than 201, by status (not retried). */
  refused: Record<string, number>;
  /** Orders still failing to connect after `giveUpAfterMs`: never acknowledged, so not promised. */
  abandoned: number;
}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Connection refused or reset, socket hang up, timeout: the request may or may not have been stored. */
export function isConnectionError(err: unknown): boolean {
  const error = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return true;
  const code = error.cause?.code ?? error.code;
  if (code && CONNECTION_ERROR_CODES.has(code)) return true;
  return /socket hang up|other side closed/i.test(`${error.message} ${error.cause?.message ?? ''}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Places orders at a steady rate, each with its own Idempotency-Key, like shoppers who click once.
 * A connection error is retried with the same key and body (what a well-behaved client does);
 * any other answer is final. Every order id that got a 201 is recorded: those are the promises.
 */
export class LoadClient {
  /** Order id → the Idempotency-Key it was placed with, for every 201. */
  readonly accepted = new Map<string, string>();
  readonly stats: LoadStats = { placed: 0, accepted: 0, replayed: 0, retries: 0, refused: {}, abandoned: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  private ticker: NodeJS.Timeout | null = null;
  private readonly options: Required<LoadOptions>;

  constructor(options: LoadOptions) {
    this.options = { maxInFlight: 64, requestTimeoutMs: 30_000, giveUpAfterMs: 180_000, ...options };
  }

  start(): void {
    const { ratePerSecond, maxInFlight } = this.options;
    let tokens = 0;
    let last = Date.now();
    this.ticker = setInterval(() => {
      const now = Date.now();
      // A stalled client (all slots busy) does not build up a burst to fire later.
      tokens = Math.min(tokens + ((now - last) / 1000) * ratePerSecond, Math.max(1, ratePerSecond / 10));
      last = now;
      while (tokens >= 1 && this.inFlight.size < maxInFlight) {
        tokens -= 1;
        const placing: Promise<void> = this.placeOrder(this.stats.placed++).finally(() => this.inFlight.delete(placing));
        this.inFlight.add(placing);
      }
    }, 20);
  }

  /** Stops placing new orders and waits for the open ones (and their retries) to finish. */
  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  async waitForAccepted(count: number, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.stats.accepted < count) {
      if (Date.now() > deadline)
        throw new Error(`only ${this.stats.accepted} of ${count} orders accepted after ${timeoutMs / 1000} s (${JSON.stringify(this.stats)})`);
      await sleep(100);
    }
  }

  private async placeOrder(sequence: number): Promise<void> {
    const key = `e2e-${randomUUID()}`;
    const body = JSON.stringify(this.randomOrder(sequence));
    const giveUpAt = Date.now() + this.options.giveUpAfterMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.options.baseUrl()}/api/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body,
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        const text = await response.text();
        if (response.status !== 201) {
          this.stats.refused[response.status] = (this.stats.refused[response.status] ?? 0) + 1;
          return;
        }
        const order = JSON.parse(text) as { id: string };
        this.accepted.set(order.id, key);
        this.stats.accepted++;
        if (response.headers.get('idempotent-replayed') === 'true') this.stats.replayed++;
        return;
      } catch (err) {
        if (!isConnectionError(err)) {
          const reason = `error: ${(err as Error).message}`;
          this.stats.refused[reason] = (this.stats.refused[reason] ?? 0) + 1;
          return;
        }
        if (Date.now() > giveUpAt) {
          this.stats.abandoned++;
          return;
        }
        this.stats.retries++;
        await sleep(Math.min(100 * 2 ** (attempt - 1), 1_000));
      }
    }
  }

  /** One to three distinct skus, one to three of each. */
  private randomOrder(sequence: number) {
    const skus = [...this.options.skus];
    const lines = Array.from({ length: 1 + Math.floor(Math.random() * 3) }, () => {
      const [sku] = skus.splice(Math.floor(Math.random() * skus.length), 1);
      return { sku, quantity: 1 + Math.floor(Math.random() * 3) };
    });
    return { customer: { name: `Chaos Shopper ${sequence % 100}`, email: `shopper${sequence % 100}@e2e.example` }, lines, payment: { token: 'tok_success' } };
  }
}

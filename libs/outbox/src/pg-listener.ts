import { Logger } from '@nestjs/common';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { pooledConnection } from './outbox.repository';

/**
 * LISTENs on a PostgreSQL channel on a dedicated pooled connection and calls `onNotification` with
 * each payload. After a lost connection it listens again with backoff and then calls `onListening`:
 * notifications sent while it was not listening are gone, so a caller that must not miss a change
 * re-reads what it follows there (it is also called once the first LISTEN is in place).
 */
export class PgListener {
  private readonly logger = new Logger(PgListener.name);
  private client: PoolClient | null = null;
  private releaseClient: ((err?: Error | boolean) => void) | null = null;
  private running = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly channel: string,
    private readonly onNotification: (payload: string) => void,
    private readonly retryDelayMs = 2_000,
    private readonly onListening: () => void = () => undefined,
  ) {}

  start(): void {
    this.running = true;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    this.release();
  }

  private async connect(): Promise<void> {
    while (this.running && !this.client) {
      let connection: Awaited<ReturnType<typeof pooledConnection>> | null = null;
      try {
        connection = await pooledConnection(this.dataSource);
        const { client } = connection;
        client.on('notification', (message) => this.onNotification(message.payload ?? ''));
        client.on('error', (err) => this.onConnectionLost(err));
        await client.query(`LISTEN ${client.escapeIdentifier(this.channel)}`);
        this.client = client;
        this.releaseClient = connection.release;
      } catch (err) {
        connection?.release(true);
        this.logger.warn(`cannot LISTEN on "${this.channel}" (${(err as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs));
      }
    }
    if (this.client) this.announceListening();
  }

  private announceListening(): void {
    try {
      this.onListening();
    } catch (err) {
      this.logger.error(`after LISTEN on "${this.channel}": ${(err as Error).message}`);
    }
  }

  private onConnectionLost(err: Error): void {
    this.logger.warn(`LISTEN connection for "${this.channel}" lost (${err.message}); reconnecting`);
    this.release(err);
    if (this.running) setTimeout(() => void this.connect(), this.retryDelayMs).unref();
  }

  private release(err?: Error): void {
    const client = this.client;
    const release = this.releaseClient;
    this.client = null;
    this.releaseClient = null;
    if (!client || !release) return;
    client.removeAllListeners('notification');
    // Destroyed, never returned to the pool: it is still LISTENing.
    release(err ?? true);
  }
}

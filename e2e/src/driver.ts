import type { ChannelModel } from 'amqplib';
import type { Pool } from 'pg';

/** The two services that answer HTTP. */
export type AppService = 'order-service' | 'inventory-service';
/** Everything a scenario may stop, kill or start again. */
export type Service = AppService | 'rabbitmq';
export type Database = 'orders' | 'inventory';

export interface SystemOptions {
  /** The scenario kills the broker: it must be this run's own (the process driver then starts a RabbitMQ node). */
  ownBroker?: boolean;
}

/**
 * One running shop, whatever runs it. Scenarios only talk to this interface, so the same chaos
 * runs against child processes (`process`) and against containers (`compose`).
 */
export interface SystemDriver {
  readonly name: 'process' | 'compose';
  /** Starts every service on fresh databases and a fresh broker (or vhost); resolves once all are ready. */
  start(): Promise<void>;
  /** Stops everything and removes what `start` created. */
  stop(): Promise<void>;
  /** SIGKILL: no shutdown hook runs, in-flight transactions and deliveries die with it. */
  kill(service: Service): Promise<void>;
  /** Graceful stop (SIGTERM). */
  stopService(service: Service): Promise<void>;
  /** Starts a stopped or killed service again on the same data; resolves once it is ready. */
  startService(service: Service): Promise<void>;
  /** Makes a service's database unreachable for it (connections dropped, new ones refused) until `restoreDatabase`. */
  cutDatabase(service: AppService): Promise<void>;
  restoreDatabase(service: AppService): Promise<void>;
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url(service: AppService): string;
  /** SQL straight to a service's database (never through a cut). */
  sql(database: Database): Pool;
  /** A new connection to the shop's vhost; the caller closes it. */
  amqp(): Promise<ChannelModel>;
  /** The last lines a service wrote, for a failure report. */
  logTail(service: Service, lines?: number): Promise<string>;
}

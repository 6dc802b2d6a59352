import type { ChannelModel } from 'amqplib';
import type { Pool } from 'pg';

/** The operators' token the process driver gives every service (the compose driver reads the project's own). */
export const E2E_ADMIN_TOKEN = 'e2e-operators-token-0123456789';
/** The secret key the process driver gives payment-service and the payment provider stand-in. */
export const E2E_PROVIDER_API_KEY = 'sk_test_e2e';

/**
 * The processes that answer HTTP (notification-service only when the scenario asks for it).
 * payment-provider is the card processor's stand-in, not a shop service: it stands for the outside
 * world, and a scenario may kill or freeze it as that world fails.
 */
export type AppService = 'order-service' | 'inventory-service' | 'notification-service' | 'payment-service' | 'payment-provider';
/** Everything a scenario may stop, kill or start again (`smtp`: the mail server notification-service sends to). */
export type Service = AppService | 'rabbitmq' | 'smtp';
/** `payment_provider`: the provider stand-in's own database (the shop never reads it; the checks use its ledger API). */
export type Database = 'orders' | 'inventory' | 'notifications' | 'payments' | 'payment_provider';

/** One message the SMTP server accepted (a message sent twice is two of these). */
export interface AcceptedEmail {
  /** As sent, e.g. `<confirmed.0b1c…@shop.example>`. */
  messageId: string;
  /** The X-Shop-Order-Id and X-Shop-Event headers. */
  orderId: string;
  event: string;
  recipients: string[];
  /** The server's clock when it accepted the message. */
  receivedAt: Date;
}

export interface SystemOptions {
  /** The scenario kills the broker: it must be this run's own (the process driver then starts a RabbitMQ node). */
  ownBroker?: boolean;
  /**
   * 3: a RabbitMQ cluster of three nodes of this run (quorum queues with a member on each), every
   * service given all three addresses. Default 1.
   */
  brokerNodes?: 1 | 3;
  /** Instances of order-service, inventory-service and payment-service, on the same databases and vhost. Default 1. */
  replicas?: 1 | 2;
  /** Also runs notification-service (its database `notifications`) and an SMTP server it sends to. */
  notifications?: boolean;
  /** Extra variables for every service (short retry delays, say); the compose driver takes none. */
  serviceEnv?: Record<string, string>;
  /** Extra variables for the payment provider stand-in (PROVIDER_HANG_MS, say); the compose driver takes none. */
  providerEnv?: Record<string, string>;
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
  /** How many instances a service has: replicas of an app, nodes of the broker. `instance` below counts from 0. */
  instances(service: Service): number;
  /** SIGKILL: no shutdown hook runs, in-flight transactions and deliveries die with it. */
  kill(service: Service, instance?: number): Promise<void>;
  /** Graceful stop (SIGTERM). */
  stopService(service: Service, instance?: number): Promise<void>;
  /**
   * Starts a stopped or killed instance again on the same data; resolves once it is ready (a broker
   * node: once it rejoined its cluster and every quorum queue has all its members again).
   */
  startService(service: Service, instance?: number): Promise<void>;
  /** SIGSTOP: the process stops dead, its sockets stay open and silent, until `thaw` (SIGCONT). */
  freeze(service: Service, instance?: number): Promise<void>;
  thaw(service: Service, instance?: number): Promise<void>;
  /** A quorum queue's members (broker instance numbers) and the one that leads it now (-1: none elected). */
  quorumQueue(queue: string): Promise<{ leader: number; members: number[] }>;
  /** Makes a service's database unreachable for it (connections dropped, new ones refused) until `restoreDatabase`. */
  cutDatabase(service: AppService): Promise<void>;
  restoreDatabase(service: AppService): Promise<void>;
  /** Base URL of an instance (the first by default), e.g. `http://127.0.0.1:41234`. */
  url(service: AppService, instance?: number): string;
  /** SQL straight to a service's database (never through a cut). */
  sql(database: Database): Pool;
  /** A new connection to the shop's vhost; the caller closes it. */
  amqp(): Promise<ChannelModel>;
  /** Every message the SMTP server accepted so far, across its stops and starts (needs `notifications`). */
  emails(): Promise<AcceptedEmail[]>;
  /** The operators' bearer token the services take (their dead letters, stuck orders, timelines). */
  adminToken(): Promise<string>;
  /** The secret key the payment provider stand-in accepts (its ledger, GET /v1/ledger). */
  providerApiKey(): Promise<string>;
  /** The last lines a service's instances wrote, for a failure report. */
  logTail(service: Service, lines?: number): Promise<string>;
}

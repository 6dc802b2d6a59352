import { asyncApiDocument } from '@shop/contracts';
import { MESSAGING_CONVENTIONS } from '@shop/messaging';
import { MessageContract, waitFor } from '@shop/testing';
import type { Channel, ChannelModel } from 'amqplib';
import type { SystemDriver } from './driver';

export interface TapReport {
  /** Messages seen per type (routing key). */
  seen: Record<string, number>;
  /** "type: what is wrong" for messages that do not match the AsyncAPI document (the first 50). */
  invalid: string[];
}

/**
 * A queue of the test's own, bound with '#' to every exchange the AsyncAPI document publishes events
 * to, for the whole stream: each message the services publish is checked on arrival against the
 * document (payload by routing key and schema version, headers, AMQP properties). Process driver
 * only: it declares a queue, which the compose project's least-privilege service users may not.
 */
export class BrokerTap {
  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    private readonly queue: string,
    private readonly contract: MessageContract,
  ) {}

  static async start(system: SystemDriver): Promise<BrokerTap> {
    const contract = new MessageContract(asyncApiDocument(MESSAGING_CONVENTIONS));
    const connection = await system.amqp();
    const channel = await connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true, durable: false });
    for (const exchange of contract.exchanges) await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (message) => message && contract.record(message), { noAck: true });
    return new BrokerTap(connection, channel, queue, contract);
  }

  /** Once the tap's queue is drained: what it saw. */
  async stop(): Promise<TapReport> {
    await waitFor(async () => (await this.channel.checkQueue(this.queue)).messageCount === 0, { what: 'the broker tap drained' });
    // Deliveries already sent are handled before the channel's close is answered.
    await this.channel.close().catch(() => undefined);
    await this.close();
    return { seen: Object.fromEntries(this.contract.seen), invalid: [...this.contract.invalid] };
  }

  /** Closes its connection (again, harmlessly, after `stop`). */
  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }
}

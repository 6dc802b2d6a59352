import { DynamicModule, Global, Module } from '@nestjs/common';
import { DeadLetterStore } from './dead-letters/dead-letter.store';
import { InboxService } from './inbox.service';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { OutboxRelay } from './outbox.relay';
import { OutboxService } from './outbox.service';

/**
 * Transactional outbox (OutboxService + OutboxRelay), inbox (InboxService) and the dead letters of the
 * service's own queues (DeadLetterStore), over the DataSource TypeOrmModule provides.
 */
@Global()
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxOptions = {}): DynamicModule {
    return {
      module: OutboxModule,
      providers: [{ provide: OUTBOX_OPTIONS, useValue: options }, OutboxService, InboxService, OutboxRelay, DeadLetterStore],
      exports: [OutboxService, InboxService, OutboxRelay, DeadLetterStore],
    };
  }
}

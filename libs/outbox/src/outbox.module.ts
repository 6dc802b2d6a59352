import { DynamicModule, Global, Module } from '@nestjs/common';
import { InboxService } from './inbox.service';
import { OUTBOX_OPTIONS, type OutboxOptions } from './outbox.options';
import { OutboxRelay } from './outbox.relay';
import { OutboxService } from './outbox.service';

/** Transactional outbox (OutboxService + OutboxRelay) and inbox (InboxService), over the DataSource TypeOrmModule provides. */
@Global()
@Module({})
export class OutboxModule {
  static forRoot(options: OutboxOptions = {}): DynamicModule {
    return {
      module: OutboxModule,
      providers: [{ provide: OUTBOX_OPTIONS, useValue: options }, OutboxService, InboxService, OutboxRelay],
      exports: [OutboxService, InboxService, OutboxRelay],
    };
  }
}

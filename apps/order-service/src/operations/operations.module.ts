import { DynamicModule, Module } from '@nestjs/common';
import { ADMIN_TOKEN, AdminTokenGuard } from '@shop/platform';
import { STATUS_PROBE_TIMEOUT_MS, SystemService } from '../system/system.service';
import { OperationsController } from './operations.controller';

export interface OperationsOptions {
  /** The operators' bearer token; unset, every operations endpoint answers 403. */
  adminToken: string | undefined;
  /** How long the status probes wait for each part (STATUS_PROBE_TIMEOUT_MS). */
  probeTimeoutMs: number;
}

@Module({})
export class OperationsModule {
  static forRoot(options: OperationsOptions): DynamicModule {
    return {
      module: OperationsModule,
      controllers: [OperationsController],
      // Its own SystemService (stateless, over the global outbox and broker): importing SystemModule again would mount its public route twice.
      providers: [
        SystemService,
        { provide: STATUS_PROBE_TIMEOUT_MS, useValue: options.probeTimeoutMs },
        AdminTokenGuard,
        { provide: ADMIN_TOKEN, useValue: options.adminToken },
      ],
    };
  }
}

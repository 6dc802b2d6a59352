import { DynamicModule, Module } from '@nestjs/common';
import { SystemController } from './system.controller';
import { ORDER_STUCK_AFTER_S, STATUS_PROBE_TIMEOUT_MS, SystemService } from './system.service';

@Module({})
export class SystemModule {
  /** `probeTimeoutMs`: how long the status endpoint waits for each part it asks (see SystemService); `stuckAfterSeconds`: ORDER_STUCK_AFTER_SECONDS. */
  static forRoot(probeTimeoutMs: number, stuckAfterSeconds: number): DynamicModule {
    return {
      module: SystemModule,
      controllers: [SystemController],
      providers: [SystemService, { provide: STATUS_PROBE_TIMEOUT_MS, useValue: probeTimeoutMs }, { provide: ORDER_STUCK_AFTER_S, useValue: stuckAfterSeconds }],
    };
  }
}

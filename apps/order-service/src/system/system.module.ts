import { DynamicModule, Module } from '@nestjs/common';
import { SystemController } from './system.controller';
import { STATUS_PROBE_TIMEOUT_MS, SystemService } from './system.service';

@Module({})
export class SystemModule {
  /** `probeTimeoutMs`: how long the status endpoint waits for each part it asks (see SystemService). */
  static forRoot(probeTimeoutMs: number): DynamicModule {
    return {
      module: SystemModule,
      controllers: [SystemController],
      providers: [SystemService, { provide: STATUS_PROBE_TIMEOUT_MS, useValue: probeTimeoutMs }],
    };
  }
}

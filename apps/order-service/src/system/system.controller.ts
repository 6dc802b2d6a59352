import { Controller, Get } from '@nestjs/common';
import type { SystemStatusView } from '@shop/contracts';
import { SystemService } from './system.service';

@Controller('api/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  @Get('status')
  status(): Promise<SystemStatusView> {
    return this.system.status();
  }
}

import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import type { SystemStatusView } from '@shop/contracts';
import { AdminTokenGuard } from '@shop/platform';
import { SystemService } from '../system/system.service';

/** The operators' figures: what stands between accepted orders and their confirmations, behind the admin token. */
@Controller('api/operations')
@UseGuards(AdminTokenGuard)
export class OperationsController {
  constructor(private readonly system: SystemService) {}

  @Get('status')
  // An answer for a credential must not be kept by a shared cache.
  @Header('cache-control', 'no-store')
  status(): Promise<SystemStatusView> {
    return this.system.status();
  }
}

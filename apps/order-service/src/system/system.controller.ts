import { Controller, Get, Inject } from '@nestjs/common';
import type { ShopperStatusView } from '@shop/contracts';
import { confirmationOutlook } from './confirmation-outlook';
import { ORDER_STUCK_AFTER_S, SystemService } from './system.service';

/** Public: the one word a shopper needs. The figures behind it are the operators' (GET /api/operations/status). */
@Controller('api/system')
export class SystemController {
  constructor(
    private readonly system: SystemService,
    @Inject(ORDER_STUCK_AFTER_S) private readonly stuckAfterSeconds: number,
  ) {}

  @Get('status')
  async status(): Promise<ShopperStatusView> {
    const status = await this.system.status();
    return { confirmations: confirmationOutlook(status), checkedAt: status.checkedAt, stuckAfterSeconds: this.stuckAfterSeconds };
  }
}

import { Controller, Get, Header, Param, UseGuards } from '@nestjs/common';
import type { OrderTimelineView, StuckOrdersView } from '@shop/contracts';
import { AdminTokenGuard } from '@shop/platform';
import { orderIdPipe } from '../orders/order-id.pipe';
import { OrderTimelineService } from './order-timeline.service';
import { StuckOrdersService } from './stuck-orders.service';

/** Orders as operators follow them: those that stopped moving, and one order's journey. */
@Controller('api/operations/orders')
@UseGuards(AdminTokenGuard)
export class OrderOperationsController {
  constructor(
    private readonly stuck: StuckOrdersService,
    private readonly timelines: OrderTimelineService,
  ) {}

  @Get('stuck')
  @Header('cache-control', 'no-store')
  stuckOrders(): Promise<StuckOrdersView> {
    return this.stuck.list();
  }

  @Get(':id/timeline')
  @Header('cache-control', 'no-store')
  timeline(@Param('id', orderIdPipe) id: string): Promise<OrderTimelineView> {
    return this.timelines.timelineOf(id);
  }
}

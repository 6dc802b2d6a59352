import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { restockRequestSchema, skuSchema, type RestockRequest, type StockLevelView } from '@shop/contracts';
import { AdminTokenGuard, ZodValidationPipe } from '@shop/platform';
import { StockService } from './stock.service';

const skuPipe = new ZodValidationPipe(skuSchema, 'sku');

@Controller('api/stock')
export class StockController {
  constructor(private readonly stock: StockService) {}

  @Get()
  list(): Promise<StockLevelView[]> {
    return this.stock.listStock();
  }

  @Get(':sku')
  get(@Param('sku', skuPipe) sku: string): Promise<StockLevelView> {
    return this.stock.getStock(sku);
  }

  @Post(':sku/restock')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  restock(@Param('sku', skuPipe) sku: string, @Body(new ZodValidationPipe(restockRequestSchema)) body: RestockRequest): Promise<StockLevelView> {
    return this.stock.restock(sku, body.quantity);
  }
}

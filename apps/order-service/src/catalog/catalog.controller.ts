import { Controller, Get } from '@nestjs/common';
import type { ProductView } from '@shop/contracts';
import { CatalogService } from './catalog.service';

@Controller('api/products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  @Get()
  list(): Promise<ProductView[]> {
    return this.catalog.listProducts();
  }
}

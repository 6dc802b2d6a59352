import { DynamicModule, Module } from '@nestjs/common';
import { CatalogController } from './catalog.controller';
import { CATALOG_CACHE_MS, CatalogService } from './catalog.service';

@Module({})
export class CatalogModule {
  /**
   * `cacheMs`: how long a product read for an order is reused (see CatalogService.findBySkus).
   * Global, so the orders module prices from the one configured catalog.
   */
  static forRoot(cacheMs: number): DynamicModule {
    return {
      module: CatalogModule,
      global: true,
      controllers: [CatalogController],
      providers: [CatalogService, { provide: CATALOG_CACHE_MS, useValue: cacheMs }],
      exports: [CatalogService],
    };
  }
}

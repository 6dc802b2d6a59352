import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { productSearchQuerySchema, type ProductSearch, type ProductView } from '@shop/contracts';
import { ZodValidationPipe } from '@shop/platform';
import type { FastifyReply } from 'fastify';
import { CatalogService } from './catalog.service';
import { skuPipe } from './sku.pipe';

const searchQueryPipe = new ZodValidationPipe(productSearchQuerySchema);
/** The catalog is the same for everyone and not customer data: browsers and proxies may reuse a listing briefly. */
const CATALOG_LIST_CACHE_CONTROL = 'public, max-age=30';
/** A search holds what a shopper typed, so no shared cache keeps a copy of it. */
const SEARCH_CACHE_CONTROL = 'no-store';

@Controller('api/products')
export class CatalogController {
  constructor(private readonly catalog: CatalogService) {}

  /** `?q=` searches (websearch syntax), `?sort=` orders; any other parameter is a 400 naming it. */
  @Get()
  list(@Query(searchQueryPipe) search: ProductSearch, @Res({ passthrough: true }) reply: FastifyReply): Promise<ProductView[]> {
    reply.header('Cache-Control', search.q === undefined ? CATALOG_LIST_CACHE_CONTROL : SEARCH_CACHE_CONTROL);
    return this.catalog.searchProducts(search);
  }

  @Get(':sku')
  get(@Param('sku', skuPipe) sku: string): Promise<ProductView> {
    return this.catalog.getProduct(sku);
  }
}

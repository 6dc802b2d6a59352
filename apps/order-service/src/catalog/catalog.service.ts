import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ProductSearch, ProductView } from '@shop/contracts';
import { DataSource, In } from 'typeorm';
import { CatalogRepository } from './catalog.repository';
import { Product } from './product.entity';

export const CATALOG_CACHE_MS = Symbol('CATALOG_CACHE_MS');

@Injectable()
export class CatalogService {
  private readonly cache = new Map<string, { product: Product; readAt: number }>();
  // Built here, over the one DataSource, so the service keeps needing only that and its cache time.
  private readonly products: CatalogRepository;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CATALOG_CACHE_MS) private readonly cacheMs: number,
  ) {
    this.products = new CatalogRepository(dataSource);
  }

  /** The catalog page: every product, or those matching `q`, in the requested order. Always read fresh. */
  searchProducts(search: ProductSearch): Promise<ProductView[]> {
    return this.products.search(search);
  }

  /** A product page, read from order-service's own table, so it answers while inventory is down. */
  async getProduct(sku: string): Promise<ProductView> {
    const product = await this.products.findBySku(sku);
    if (!product) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `product ${sku} does not exist` });
    return product;
  }

  /**
   * The catalog entries for these skus, keyed by sku; prices always come from here, never from a
   * client. A product read in the last `cacheMs` is not read again: placing an order then costs the
   * database one statement instead of two, and a price change applies to orders within `cacheMs`.
   * An unknown sku is never cached, so a product added to the catalog can be ordered at once.
   */
  async findBySkus(skus: string[]): Promise<Map<string, Product>> {
    const now = Date.now();
    const found = new Map<string, Product>();
    const toRead: string[] = [];
    for (const sku of new Set(skus)) {
      const cached = this.cache.get(sku);
      if (cached && now - cached.readAt < this.cacheMs) found.set(sku, cached.product);
      else toRead.push(sku);
    }
    if (toRead.length > 0) {
      for (const product of await this.dataSource.getRepository(Product).findBy({ sku: In(toRead) })) {
        found.set(product.sku, product);
        if (this.cacheMs > 0) this.cache.set(product.sku, { product, readAt: now });
      }
    }
    return found;
  }
}

import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ProductView } from '@shop/contracts';
import { DataSource, In, type EntityManager } from 'typeorm';
import { Product } from './product.entity';

@Injectable()
export class CatalogService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async listProducts(): Promise<ProductView[]> {
    const products = await this.dataSource.getRepository(Product).find({ order: { sku: 'ASC' } });
    return products.map(({ sku, name, description, priceCents, imageUrl }) => ({ sku, name, description, priceCents, imageUrl }));
  }

  /** The catalog entries for these skus, keyed by sku; prices always come from here, never from a client. */
  async findBySkus(manager: EntityManager, skus: string[]): Promise<Map<string, Product>> {
    const products = await manager.getRepository(Product).findBy({ sku: In(skus) });
    return new Map(products.map((product) => [product.sku, product]));
  }
}

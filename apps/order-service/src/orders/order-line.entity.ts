import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { Order } from './order.entity';

@Entity({ name: 'order_lines' })
export class OrderLine {
  @PrimaryColumn('uuid', { name: 'order_id' })
  orderId!: string;

  @PrimaryColumn('text')
  sku!: string;

  /** Name and price as they were when the order was placed. */
  @Column('text', { name: 'product_name' })
  productName!: string;

  @Column('int')
  quantity!: number;

  @Column('int', { name: 'unit_price_cents' })
  unitPriceCents!: number;

  @ManyToOne(() => Order, (order) => order.lines)
  @JoinColumn({ name: 'order_id' })
  // Relation<>: no design-type reference to Order, so either entity file may be loaded first (they import each other).
  order!: Relation<Order>;
}

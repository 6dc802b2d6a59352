import type { OrderStatus, PaymentStatus } from '@shop/contracts';
import { Column, Entity, OneToMany, PrimaryColumn } from 'typeorm';
import { OrderLine } from './order-line.entity';

@Entity({ name: 'orders' })
export class Order {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'customer_name' })
  customerName!: string;

  @Column('text', { name: 'customer_email' })
  customerEmail!: string;

  @Column('text')
  status!: OrderStatus;

  @Column('text', { name: 'status_reason', nullable: true })
  statusReason!: string | null;

  @Column('int', { name: 'total_cents' })
  totalCents!: number;

  @Column('text', { name: 'idempotency_key', unique: true })
  idempotencyKey!: string;

  /** Fingerprint of the request body first sent with the idempotency key. */
  @Column('text', { name: 'request_hash' })
  requestHash!: string;

  /** The provider's token for the shopper's card, for order.reserved (null for orders placed before payments). */
  @Column('text', { name: 'payment_token', nullable: true })
  paymentToken!: string | null;

  /** Where the money stands at the provider, as payment-service reported it (null: nothing reported yet). */
  @Column('text', { name: 'payment_status', nullable: true })
  paymentStatus!: PaymentStatus | null;

  /** The provider's words when it declined. */
  @Column('text', { name: 'payment_reason', nullable: true })
  paymentReason!: string | null;

  /** Inventory gave back what it held for the order (stock.released). */
  @Column('boolean', { name: 'stock_released', default: false })
  stockReleased!: boolean;

  @Column('timestamptz', { name: 'cancelled_at', nullable: true })
  cancelledAt!: Date | null;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  @OneToMany(() => OrderLine, (line) => line.order)
  lines!: OrderLine[];
}

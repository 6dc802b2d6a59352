import type { OrderStatus } from '@shop/contracts';
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

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;

  @OneToMany(() => OrderLine, (line) => line.order)
  lines!: OrderLine[];
}

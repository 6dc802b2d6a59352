import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'reservations' })
export class Reservation {
  @PrimaryColumn('uuid', { name: 'order_id' })
  orderId!: string;

  @PrimaryColumn('text')
  sku!: string;

  @Column('int')
  quantity!: number;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;
}

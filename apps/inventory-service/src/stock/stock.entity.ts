import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'stock' })
export class Stock {
  @PrimaryColumn('text')
  sku!: string;

  /** Units that can still be reserved; a CHECK constraint keeps it from going negative. */
  @Column('int')
  available!: number;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

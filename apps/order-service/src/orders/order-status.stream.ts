import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { OrderStatusEvent } from '@shop/contracts';
import { PgListener } from '@shop/outbox';
import { filter, Observable, Subject } from 'rxjs';
import { DataSource } from 'typeorm';
import { ORDER_STATUS_CHANNEL } from './orders.repository';

/**
 * Status changes of all orders, as committed. They arrive through PostgreSQL notifications, so a
 * browser connected to any order-service instance sees a change applied by any other.
 */
@Injectable()
export class OrderStatusStream implements OnModuleInit, OnModuleDestroy {
  private readonly changes = new Subject<OrderStatusEvent>();
  private readonly listener: PgListener;

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.listener = new PgListener(dataSource, ORDER_STATUS_CHANNEL, (payload) => this.changes.next(JSON.parse(payload) as OrderStatusEvent));
  }

  onModuleInit(): void {
    this.listener.start();
  }

  onModuleDestroy(): void {
    this.listener.stop();
    this.changes.complete();
  }

  changesOf(orderId: string): Observable<OrderStatusEvent> {
    return this.changes.pipe(filter((change) => change.orderId === orderId));
  }
}

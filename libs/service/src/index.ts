export * from './config';
export * from './infrastructure';
export * from './service-app';
export * from './operations/dead-letter-operations';
export * from './operations/order-trace';
export * from './operations/service-operations.module';
export * from './operations/service-trace';
export * from './openapi.controller';

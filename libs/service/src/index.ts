export * from './config';
export * from './infrastructure';
export * from './service-app';

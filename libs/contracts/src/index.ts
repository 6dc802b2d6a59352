export * from './orders';
export * from './events';
export * from './topology';
export * from './demo-catalog';

export * from './orders';
export * from './text';
export * from './events';
export * from './routes';
export * from './topology';
export * from './demo-catalog';
export * from './notifications';

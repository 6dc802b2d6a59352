export * from './services';
export * from './tcp-proxy';
export * from './wait';
export * from './ports';
export * from './readiness';
export * from './rabbitmq-node';
export * from './rabbitmq-cluster';
export * from './otlp-receiver';

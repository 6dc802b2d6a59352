// Shared Jest settings: TypeScript through SWC (with Nest's decorator metadata), workspace libs from source.
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper: {
    '^@shop/(contracts|messaging|outbox|platform|service|telemetry|testing)$': '<rootDir>/../../libs/$1/src',
  },
};

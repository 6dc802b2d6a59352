import { isTransientDatabaseError } from './transient-errors';

describe('isTransientDatabaseError', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a dropped connection', new Error('Connection terminated unexpectedly')],
    ['a database shutting down (57P01), wrapped by TypeORM', { message: 'query failed', driverError: { code: '57P01' } }],
    ['too many connections (53300)', { code: '53300' }],
    ['a serialization failure (40001)', { code: '40001' }],
    ['a statement past statement_timeout (57014)', { message: 'Query failed', driverError: { code: '57014' } }],
    ['no answer within query_timeout (a frozen link)', new Error('Query read timeout')],
    ['a connection ended for idling in a transaction (25P03)', { code: '25P03' }],
    ['a call past its deadline', Object.assign(new Error('the outbox backlog did not answer within 1000 ms'), { code: 'ETIMEDOUT' })],
  ])('recognises %s', (_name, err) => {
    expect(isTransientDatabaseError(err)).toBe(true);
  });

  it.each([
    ['a constraint violation (23505)', { code: '23505', message: 'duplicate key value' }],
    ['a check violation (23514)', { code: '23514' }],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'sku')")],
    ['nothing', undefined],
  ])('does not excuse %s', (_name, err) => {
    expect(isTransientDatabaseError(err)).toBe(false);
  });
});

import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';
import type { HttpErrorBody } from './http-error-body';
import { ZodValidationPipe } from './validation';

const refusal = (pipe: ZodValidationPipe<z.ZodType>, value: unknown): HttpErrorBody => {
  try {
    pipe.transform(value);
  } catch (err) {
    if (err instanceof BadRequestException) return err.getResponse() as HttpErrorBody;
    throw err;
  }
  throw new Error('the pipe accepted the value');
};

describe('ZodValidationPipe', () => {
  const query = new ZodValidationPipe(z.strictObject({ q: z.string().max(3, 'must be at most 3 characters').optional() }));

  it('names the field that failed', () => {
    expect(refusal(query, { q: 'long' }).issues).toEqual([{ field: 'q', message: 'must be at most 3 characters' }]);
  });

  it('names each unknown key as its own field, under the prefix and the path of its object', () => {
    expect(refusal(query, { email: 'a@example.com', page: '2' }).issues).toEqual([
      { field: 'email', message: 'is unknown to this endpoint; leave it out' },
      { field: 'page', message: 'is unknown to this endpoint; leave it out' },
    ]);
    const nested = new ZodValidationPipe(z.strictObject({ customer: z.strictObject({ name: z.string() }) }), 'body');
    expect(refusal(nested, { customer: { name: 'Ada', age: 3 } }).issues).toEqual([
      { field: 'body.customer.age', message: 'is unknown to this endpoint; leave it out' },
    ]);
  });

  it('passes a valid value through, parsed', () => {
    expect(query.transform({ q: 'mug' })).toEqual({ q: 'mug' });
  });
});

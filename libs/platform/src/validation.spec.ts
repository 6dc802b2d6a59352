import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';
import { QueryFailedError } from 'typeorm';
import { createHttpApp } from './http-app';
import { loggingModule } from './logging';

const pool = new Pool({ connectionString: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', max: 1 });

/** Errors as PostgreSQL raises them for input a schema let through. */
@Controller('probe')
class DatabaseProbeController {
  @Get('nul')
  async nul() {
    return (await pool.query('SELECT $1::text AS value', ['Ada\u0000'])).rows;
  }

  @Get('nul-through-typeorm')
  async nulThroughTypeorm() {
    try {
      return await this.nul();
    } catch (err) {
      throw new QueryFailedError('SELECT $1::text', ['Ada\u0000'], err as Error);
    }
  }

  @Get('not-a-uuid')
  async notAUuid() {
    return (await pool.query('SELECT $1::uuid AS value', ['42'])).rows;
  }

  @Get('missing-table')
  async missingTable() {
    return (await pool.query('SELECT * FROM no_such_table')).rows;
  }
}

describe('a PostgreSQL data exception that reaches the top of a request', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    @Module({ imports: [loggingModule('silent', 'validation-test')], controllers: [DatabaseProbeController] })
    class ProbeModule {}
    app = await createHttpApp(ProbeModule);
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
    await pool.end();
  });

  it.each([
    ['NUL in text (22021)', 'nul'],
    ['NUL in text, wrapped by TypeORM', 'nul-through-typeorm'],
    ['not a uuid (22P02)', 'not-a-uuid'],
  ])('%s is a 400 naming the body, not a 500', async (_name, path) => {
    const response = await fetch(`${url}/probe/${path}`);
    expect(response.status).toBe(400);
    const body: any = await response.json();
    expect(body.issues).toEqual([{ field: 'body', message: expect.stringMatching(/^holds a value that cannot be stored: /) }]);
  });

  it('any other database error stays a 500: the net catches bad data, not bugs', async () => {
    expect((await fetch(`${url}/probe/missing-table`)).status).toBe(500);
  });
});

import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { withDeadline } from '@shop/platform';
import type { FastifyReply } from 'fastify';
import { Mailer } from './mailer';

const VERIFY_TIMEOUT_MS = 3_000;

/**
 * Whether the mail server answers, for operators: 200 up, 503 down. Not part of readiness: while
 * it is down the events wait in the queue and are retried, the HTTP API still answers, and taking
 * the service out of rotation or restarting it would not bring a mail server back.
 */
@Controller('health')
export class SmtpHealthController {
  constructor(private readonly mailer: Mailer) {}

  @Get('smtp')
  async smtp(@Res({ passthrough: true }) reply: FastifyReply): Promise<{ status: 'up' | 'down'; error?: string }> {
    try {
      await withDeadline(this.mailer.verify(), VERIFY_TIMEOUT_MS, 'the mail server');
      return { status: 'up' };
    } catch (err) {
      reply.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'down', error: err instanceof Error ? err.message : String(err) };
    }
  }
}

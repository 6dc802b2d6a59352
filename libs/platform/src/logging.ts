import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';

const QUIET_PATHS = ['/health', '/metrics'];

/** Structured JSON logs; one line per request, except probes and scrapes. */
export function loggingModule(level: string, service: string) {
  return LoggerModule.forRoot({
    pinoHttp: {
      level,
      base: { service },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.some((path) => req.url?.startsWith(path)) },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  });
}

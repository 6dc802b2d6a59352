import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';

const QUIET_PATHS = ['/health'];
const REDACTED = '[Redacted]';

/** Credentials a request or response may carry in a header; never written to a log. */
const SECRET_HEADERS = ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie', 'res.headers["set-cookie"]'];

/** The URL with every query value replaced (`?token=[Redacted]`): a secret or an email sent in a query string never reaches a log. */
export function redactQueryValues(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return url;
  const names = url
    .slice(start + 1)
    .split('&')
    .filter(Boolean)
    .map((pair) => `${pair.split('=', 1)[0]}=${REDACTED}`);
  return `${url.slice(0, start)}?${names.join('&')}`;
}

/**
 * Structured JSON logs; one line per request, except probes and scrapes. `destination` replaces
 * stdout (tests read what would be written).
 */
export function loggingModule(level: string, service: string, destination?: DestinationStream) {
  const options = {
    level,
    base: { service },
    redact: SECRET_HEADERS,
    serializers: {
      // Runs on pino's serialized request; `query` would repeat the values the URL no longer shows.
      req: (req: { url?: string; query?: unknown }) => {
        if (req.url) req.url = redactQueryValues(req.url);
        delete req.query;
        return req;
      },
    },
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.some((path) => req.url?.startsWith(path)) },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  };
  return LoggerModule.forRoot({ pinoHttp: destination ? [options, destination] : options });
}

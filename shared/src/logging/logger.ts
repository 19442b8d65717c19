/**
 * Structured logging with pino in Cloud Logging's JSON shape: `severity`, `message`,
 * `logging.googleapis.com/trace`, request and correlation ids, function name.
 * Secrets (tokens, passwords, signed URLs) are redacted. The logger is built on first use.
 */
import pino, { type Logger } from 'pino';
import { config } from '../config/config.ts';
import { currentContext } from './context.ts';

const SEVERITY: Record<string, string> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/** Field paths never written to a log line. */
export const REDACTED_PATHS = [
  'password',
  'idToken',
  'refreshToken',
  'token',
  'secret',
  'authorization',
  'signedUrl',
  '*.password',
  '*.idToken',
  '*.refreshToken',
  '*.token',
  '*.secret',
  '*.authorization',
  '*.Authorization',
  '*.signedUrl',
  'headers.authorization',
  'req.headers.authorization',
];

/** Builds a logger writing Cloud Logging JSON to `destination` (stdout by default). */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      messageKey: 'message',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: {
        level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }),
      },
      mixin() {
        const ctx = currentContext();
        if (!ctx) return {};
        return {
          requestId: ctx.requestId,
          correlationId: ctx.correlationId,
          function: ctx.functionName,
          ...(ctx.actorId ? { actorId: ctx.actorId } : {}),
          ...(ctx.trace ? { 'logging.googleapis.com/trace': ctx.trace } : {}),
          ...(ctx.spanId ? { 'logging.googleapis.com/spanId': ctx.spanId } : {}),
        };
      },
    },
    options.destination,
  );
}

let shared: Logger | undefined;

/** The process logger, created on first use with the configured level. */
export function logger(): Logger {
  shared ??= createLogger({ level: config().logLevel });
  return shared;
}

/** Replaces the process logger (tests capture lines this way). */
export function setLogger(next: Logger | undefined): void {
  shared = next;
}

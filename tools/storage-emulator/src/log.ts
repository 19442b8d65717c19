/**
 * The emulator's logging port. Structural on purpose: a pino `Logger` (what the dev stack
 * passes) fits it as is, and the default writes the same Cloud Logging-shaped JSON lines
 * (`severity`, `message`) to stderr with no dependency. Never log a query string: signed
 * URLs carry their signature there.
 */

export interface Log {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const SEVERITY = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR' } as const;

/** JSON lines on stderr from `level` up. */
export function consoleLog(
  level: LogLevel = 'info',
  write = (line: string) => process.stderr.write(line),
): Log {
  const at =
    (name: keyof typeof SEVERITY) =>
    (fields: object, message: string): void => {
      if (RANK[name] < RANK[level]) return;
      const line = { severity: SEVERITY[name], message, component: 'storage-emulator', ...fields };
      write(`${JSON.stringify(line, errorReplacer)}\n`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, stack: value.stack } : value;
}

/**
 * What the emulator's tests share: an emulator on a free port with quiet logs, the official
 * client pointed at it, and a logger that keeps its lines for assertions.
 */
import { Storage } from '@google-cloud/storage';
import type { Log } from './log.ts';
import { type StorageEmulator, type StorageEmulatorOptions, startStorageEmulator } from './server.ts';

export const PROJECT_ID = 'demo-taskman';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: object;
}

/** A logger that records (and otherwise swallows) everything. */
export function recordingLog(): Log & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (fields: object, message: string) => {
    lines.push({ level, message, fields });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface TestEmulator {
  emulator: StorageEmulator;
  storage: Storage;
  log: ReturnType<typeof recordingLog>;
}

export async function startTestEmulator(
  options: Partial<StorageEmulatorOptions> = {},
): Promise<TestEmulator> {
  const log = recordingLog();
  const emulator = await startStorageEmulator({ port: 0, projectId: PROJECT_ID, logger: log, ...options });
  const storage = new Storage({ apiEndpoint: emulator.url, projectId: PROJECT_ID });
  return { emulator, storage, log };
}

/** Deterministic bytes (cheaper than randomBytes for tens of MiB, and never accidentally compressible). */
export function testBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

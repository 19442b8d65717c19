/**
 * Generation and metageneration preconditions, from the JSON API's query parameters or the
 * XML API's `x-goog-if-*` headers. Checked by the store at the moment of the change, with
 * no await between check and write, so two racing writers cannot both pass
 * `ifGenerationMatch`. Writes fail with 412; reads fail `…Match` with 412 and `…NotMatch`
 * with 304, as GCS does.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { errors, StorageError } from './errors.ts';
import type { ObjectRecord } from './records.ts';

export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

const KEYS = [
  'ifGenerationMatch',
  'ifGenerationNotMatch',
  'ifMetagenerationMatch',
  'ifMetagenerationNotMatch',
] as const;

function digits(name: string, value: string): string {
  if (!/^\d{1,20}$/.test(value)) throw errors.badRequest(`Invalid argument for ${name}: '${value}'.`);
  // Normalise "007" to "7": generations are compared as strings.
  return BigInt(value).toString();
}

export function preconditionsFromQuery(query: URLSearchParams, prefix = ''): Preconditions {
  const result: Preconditions = {};
  for (const key of KEYS) {
    const name = prefix ? `${prefix}${key[0]!.toUpperCase()}${key.slice(1)}` : key;
    const value = query.get(name);
    if (value !== null && value !== '') result[key] = digits(name, value);
  }
  return result;
}

export function preconditionsFromHeaders(headers: IncomingHttpHeaders): Preconditions {
  const result: Preconditions = {};
  const generation = headers['x-goog-if-generation-match'];
  const metageneration = headers['x-goog-if-metageneration-match'];
  if (typeof generation === 'string') {
    result.ifGenerationMatch = digits('x-goog-if-generation-match', generation);
  }
  if (typeof metageneration === 'string') {
    result.ifMetagenerationMatch = digits('x-goog-if-metageneration-match', metageneration);
  }
  return result;
}

/** Throws when `current` (undefined: no live object) does not satisfy `p`. */
export function checkPreconditions(
  current: ObjectRecord | undefined,
  p: Preconditions,
  mode: 'read' | 'write',
): void {
  const generation = current?.generation;
  const metageneration = current === undefined ? undefined : String(current.metageneration);
  if (p.ifGenerationMatch !== undefined) {
    const ok = p.ifGenerationMatch === '0' ? current === undefined : generation === p.ifGenerationMatch;
    if (!ok) {
      throw errors.preconditionFailed(
        'If-Match',
        `ifGenerationMatch=${p.ifGenerationMatch}, live generation: ${generation ?? 'none'}`,
      );
    }
  }
  if (p.ifMetagenerationMatch !== undefined && metageneration !== p.ifMetagenerationMatch) {
    throw errors.preconditionFailed(
      'If-Metageneration-Match',
      `ifMetagenerationMatch=${p.ifMetagenerationMatch}, live metageneration: ${metageneration ?? 'none'}`,
    );
  }
  // GCS: "if no live object exists, the precondition fails", so `ifGenerationNotMatch=0`
  // means "only if it exists".
  const notMatch =
    (p.ifGenerationNotMatch !== undefined &&
      (current === undefined || generation === p.ifGenerationNotMatch)) ||
    (p.ifMetagenerationNotMatch !== undefined && metageneration === p.ifMetagenerationNotMatch);
  if (!notMatch) return;
  if (mode === 'read') {
    throw new StorageError({
      status: 304,
      reason: 'notModified',
      xmlCode: 'NotModified',
      message: 'Not Modified',
    });
  }
  throw errors.preconditionFailed(
    p.ifGenerationNotMatch !== undefined ? 'If-None-Match' : 'If-Metageneration-Not-Match',
    `ifGenerationNotMatch=${p.ifGenerationNotMatch ?? '-'}, ifMetagenerationNotMatch=${p.ifMetagenerationNotMatch ?? '-'}, live generation: ${generation ?? 'none'}`,
  );
}

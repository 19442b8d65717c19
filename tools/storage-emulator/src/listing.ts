/**
 * Object listing as GCS does it: names in UTF-8 byte order, `prefix`, `startOffset` /
 * `endOffset`, and with a `delimiter` the names that continue past it rolled up into
 * `prefixes`. Items and prefixes together count against `maxResults`; the page token names
 * the last entry returned (and whether it was a prefix, whose names the next page skips).
 */
import { errors } from './errors.ts';
import type { ObjectRecord } from './records.ts';

export interface ListOptions {
  prefix?: string;
  delimiter?: string;
  maxResults?: number;
  pageToken?: string;
  startOffset?: string;
  endOffset?: string;
  includeTrailingDelimiter?: boolean;
}

export interface ListResult {
  items: ObjectRecord[];
  prefixes: string[];
  nextPageToken?: string;
}

const MAX_PAGE = 1000;

interface Entry {
  key: string;
  rolledUp: boolean;
}

export function listObjects(
  objects: ReadonlyMap<string, ObjectRecord>,
  options: ListOptions = {},
): ListResult {
  const prefix = options.prefix ?? '';
  const delimiter = options.delimiter || undefined;
  const max = Math.min(Math.max(options.maxResults ?? MAX_PAGE, 1), MAX_PAGE);
  const after = options.pageToken ? decodePageToken(options.pageToken) : undefined;
  const start = options.startOffset === undefined ? undefined : Buffer.from(options.startOffset);
  const end = options.endOffset === undefined ? undefined : Buffer.from(options.endOffset);
  const afterKey = after ? Buffer.from(after.key) : undefined;

  const names = [...objects.keys()]
    .filter((name) => name.startsWith(prefix))
    .map((name) => ({ name, bytes: Buffer.from(name) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes));
  const items: ObjectRecord[] = [];
  const prefixes: string[] = [];
  let last: Entry | undefined;
  for (const { name, bytes } of names) {
    if (start && Buffer.compare(bytes, start) < 0) continue;
    if (end && Buffer.compare(bytes, end) >= 0) continue;
    if (
      after &&
      afterKey &&
      (Buffer.compare(bytes, afterKey) <= 0 || (after.rolledUp && name.startsWith(after.key)))
    ) {
      continue;
    }
    const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
    const rolledUp = cut >= 0 ? name.slice(0, cut + delimiter!.length) : undefined;
    const trailing = options.includeTrailingDelimiter && name === rolledUp;
    if (rolledUp !== undefined && last?.rolledUp && last.key === rolledUp) {
      if (trailing) items.push(objects.get(name)!);
      continue;
    }
    if (items.length + prefixes.length >= max) {
      return { items, prefixes, nextPageToken: encodePageToken(last!) };
    }
    if (rolledUp !== undefined) {
      prefixes.push(rolledUp);
      last = { key: rolledUp, rolledUp: true };
      if (trailing) items.push(objects.get(name)!);
    } else {
      items.push(objects.get(name)!);
      last = { key: name, rolledUp: false };
    }
  }
  return { items, prefixes };
}

function encodePageToken(last: Entry): string {
  return Buffer.from(`${last.rolledUp ? 'p' : 'o'}:${last.key}`).toString('base64url');
}

function decodePageToken(token: string): Entry {
  const text = Buffer.from(token, 'base64url').toString();
  if (!/^[po]:/.test(text)) throw errors.badRequest('Invalid pageToken.');
  return { key: text.slice(2), rolledUp: text[0] === 'p' };
}

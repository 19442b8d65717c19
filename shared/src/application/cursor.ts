/**
 * Opaque, stable cursors: the position of the last item (the values of every ordered
 * field, ending with the id) plus a hash of the query that produced it, so a cursor from
 * another query is refused rather than silently giving wrong pages.
 */
import { createHash } from 'node:crypto';
import type { Page } from '../domain/common.schema.ts';
import { AppError } from '../errors/app-error.ts';
import {
  DOC_ID,
  type DocData,
  type DocumentStore,
  type Query,
  type StoredDoc,
} from '../ports/document-store.ts';

function queryHash(q: Omit<Query, 'limit' | 'startAfter'>): string {
  return createHash('sha256')
    .update(JSON.stringify([q.collection, q.where, q.orderBy]))
    .digest('base64url')
    .slice(0, 12);
}

export function encodeCursor(position: unknown[], q: Omit<Query, 'limit' | 'startAfter'>): string {
  return Buffer.from(JSON.stringify({ p: position, q: queryHash(q) })).toString('base64url');
}

const badCursor = () =>
  new AppError('REQUEST.BAD_CURSOR', 'The cursor is not valid for this query.', {
    details: { issues: [{ path: 'cursor', reason: 'not a cursor of this list' }] },
  });

export function decodeCursor(cursor: string, q: Omit<Query, 'limit' | 'startAfter'>): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const { p, q: hash } = (parsed ?? {}) as { p?: unknown; q?: unknown };
  if (!Array.isArray(p) || p.length !== q.orderBy.length || hash !== queryHash(q)) throw badCursor();
  const idOk =
    typeof p[p.length - 1] === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(p[p.length - 1] as string);
  const valuesOk = p.every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v));
  if (!idOk || !valuesOk) throw badCursor();
  return p;
}

function positionOf(doc: StoredDoc, orderBy: Query['orderBy']): unknown[] {
  return orderBy.map((o) => {
    if (o.field === DOC_ID) return doc.id;
    let v: unknown = doc.data;
    for (const part of o.field.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
    return v ?? null;
  });
}

/** Runs a query one page at a time: fetches one extra row to know whether more follow. */
export async function pageOf<T extends DocData, R>(
  store: DocumentStore,
  q: Omit<Query, 'limit' | 'startAfter'>,
  limit: number,
  cursor: string | undefined,
  map: (doc: StoredDoc<T>) => R,
): Promise<Page<R>> {
  const startAfter = cursor ? decodeCursor(cursor, q) : undefined;
  const rows = await store.query<T>({ ...q, limit: limit + 1, ...(startAfter ? { startAfter } : {}) });
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor(positionOf(last, q.orderBy), q) : null;
  return { items: items.map(map), nextCursor };
}

/**
 * Bounded parallel work: the drains (outbox relay, webhook retry sweep) and the batch
 * commands (key rotation) read a page at a time, run its items a few at a time, never all
 * at once, and stop picking new ones once their time is up.
 */
import {
  DOC_ID,
  type DocData,
  type DocumentStore,
  type Query,
  type StoredDoc,
} from '../ports/document-store.ts';

/**
 * Runs `work` on each item, at most `concurrency` at once, in order of start; an item not
 * yet started when `keepGoing()` turns false is left alone. Resolves when every started
 * item has finished; a failure of `work` rejects (after the others in flight finish).
 */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  keepGoing: () => boolean = () => true,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && keepGoing()) await work(items[next++]!);
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A deadline `budgetMs` from now (monotonic clock): `true` while time is left. */
export function timeLeft(budgetMs: number): () => boolean {
  const end = performance.now() + budgetMs;
  return () => performance.now() < end;
}

/**
 * Reads `query` from its start a page of `pageSize` at a time, each page starting after the
 * last one (so an item left in place is not read twice), and hands each to `handle`, until
 * a page comes back short, `handle` returns false, or `keepGoing()` turns false.
 */
export async function forEachPage<T extends DocData>(
  store: Pick<DocumentStore, 'query'>,
  query: Omit<Query, 'limit' | 'startAfter'>,
  pageSize: number,
  keepGoing: () => boolean,
  handle: (page: StoredDoc<T>[]) => Promise<boolean | undefined>,
): Promise<void> {
  let after: unknown[] | undefined;
  while (keepGoing()) {
    const page = await store.query<T>({ ...query, ...(after ? { startAfter: after } : {}), limit: pageSize });
    const last = page.at(-1);
    if (!last) return;
    after = query.orderBy.map((o) => (o.field === DOC_ID ? last.id : last.data[o.field]));
    if ((await handle(page)) === false || page.length < pageSize) return;
  }
}

/**
 * Bounded parallel work: the drains (outbox relay, webhook retry sweep) and the batch
 * commands (key rotation) run items a few at a time, never all at once, and stop picking
 * new ones once their time is up.
 */

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

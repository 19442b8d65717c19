/**
 * Shared buckets: instances that share one document store draw from one bucket per key, so
 * spreading attempts over instances does not lift the limit.
 */
import { describe, expect, it } from 'vitest';
import { MemoryDocumentStore } from '../adapters/memory/memory-document-store.ts';
import { RATE_LIMITS, SharedRateLimiter } from './token-bucket.ts';

const HOUR = 3_600_000;
const limit = { capacity: 3, windowMs: HOUR };
const t0 = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);

describe('SharedRateLimiter', () => {
  it('two instances sharing one store draw from the same bucket per key', async () => {
    const store = new MemoryDocumentStore();
    const [a, b] = [
      new SharedRateLimiter(store, 'login', limit),
      new SharedRateLimiter(store, 'login', limit),
    ];
    expect(await a.take('ada@example.com', t0)).toBe(0);
    expect(await b.take('ada@example.com', t0)).toBe(0);
    expect(await a.take('ada@example.com', t0)).toBe(0);
    // The fourth attempt, on either instance, waits for a token: a third of an hour.
    expect(await b.take('ada@example.com', t0)).toBe(1_200);
    expect(await a.take('ada@example.com', at(1_000))).toBe(1_199);
    // Another key has its own bucket; another scope too.
    expect(await b.take('bob@example.com', t0)).toBe(0);
    expect(await new SharedRateLimiter(store, 'other', limit).take('ada@example.com', t0)).toBe(0);
    // A token comes back with time.
    expect(await b.take('ada@example.com', at(HOUR / 3))).toBe(0);
    expect(await a.take('ada@example.com', at(HOUR / 3))).toBeGreaterThan(0);
  });

  it('concurrent attempts on many instances never take more than the bucket holds', async () => {
    const store = new MemoryDocumentStore();
    const instances = Array.from({ length: 6 }, () => new SharedRateLimiter(store, 'login', limit));
    const waits = await Promise.all(instances.map((i) => i.take('ada@example.com', t0)));
    expect(waits.filter((w) => w === 0)).toHaveLength(limit.capacity);
  });

  it('giving back a token refills; a full bucket leaves no document, a drawn one expires', async () => {
    const store = new MemoryDocumentStore();
    const limiter = new SharedRateLimiter(store, 'login', limit);
    await limiter.take('ada@example.com', t0);
    const [doc] = store.dump(RATE_LIMITS);
    expect(doc?.id).not.toContain('ada');
    expect(doc?.data.expiresAt).toEqual(at(HOUR / 3));
    await limiter.giveBack('ada@example.com', t0);
    expect(store.dump(RATE_LIMITS)).toEqual([]);
  });

  it('a capacity of 0 turns it off', async () => {
    const store = new MemoryDocumentStore();
    const limiter = new SharedRateLimiter(store, 'login', { capacity: 0, windowMs: HOUR });
    for (let i = 0; i < 10; i++) expect(await limiter.take('ada@example.com', t0)).toBe(0);
    expect(store.dump(RATE_LIMITS)).toEqual([]);
  });
});

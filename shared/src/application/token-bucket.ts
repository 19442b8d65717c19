/**
 * Token buckets: bursts of `capacity`, refilled at `capacity` per `windowMs`, so never
 * more than that over time. The arithmetic serves the per-instance limiter of the HTTP edge
 * and {@link SharedRateLimiter}, whose buckets are documents: every instance draws from the
 * same one, so spreading requests over instances does not help (the per-account limit of
 * sign-in attempts). A full bucket needs no document; a drawn one expires (`expiresAt`,
 * a TTL policy) once it would be full again.
 */
import { createHash } from 'node:crypto';
import type { DocData, DocumentStore } from '../ports/document-store.ts';

export const RATE_LIMITS = 'rateLimits';

export interface BucketLimit {
  /** Tokens a full bucket holds; 0 or less turns the limit off. */
  capacity: number;
  /** How long an empty bucket takes to fill. */
  windowMs: number;
}

export interface Bucket {
  tokens: number;
  /** When `tokens` was computed, in epoch milliseconds. */
  at: number;
}

/** `bucket` refilled up to `now` (a full one when there is none). */
export function refill(bucket: Bucket | undefined, limit: BucketLimit, now: number): Bucket {
  if (!bucket) return { tokens: limit.capacity, at: now };
  const gained = (Math.max(0, now - bucket.at) * limit.capacity) / limit.windowMs;
  return { tokens: Math.min(limit.capacity, bucket.tokens + gained), at: Math.max(now, bucket.at) };
}

/** Whole seconds until `bucket` holds a token again: 0 when it holds one now. */
export function secondsUntilToken(bucket: Bucket, limit: BucketLimit): number {
  if (bucket.tokens >= 1) return 0;
  return Math.max(1, Math.ceil(((1 - bucket.tokens) * limit.windowMs) / limit.capacity / 1000));
}

/** Takes a token at `now`: the bucket after, and 0, or the seconds to wait (nothing taken). */
export function takeToken(
  bucket: Bucket | undefined,
  limit: BucketLimit,
  now: number,
): { bucket: Bucket; wait: number } {
  const refilled = refill(bucket, limit, now);
  const wait = secondsUntilToken(refilled, limit);
  return { bucket: wait === 0 ? { ...refilled, tokens: refilled.tokens - 1 } : refilled, wait };
}

interface BucketDoc extends DocData {
  tokens: number;
  at: number;
  expiresAt: Date;
}

/** Buckets in the document store, shared by every instance; keys are hashed into ids. */
export class SharedRateLimiter {
  constructor(
    private readonly store: DocumentStore,
    /** Names the limit, so that two limits never share a bucket. */
    private readonly scope: string,
    private readonly limit: BucketLimit,
  ) {}

  private id(key: string): string {
    return `${this.scope}-${createHash('sha256').update(key).digest('hex')}`;
  }

  /** Takes a token of `key`'s bucket: 0 when allowed, otherwise the seconds to wait. */
  async take(key: string, now: Date): Promise<number> {
    if (this.limit.capacity <= 0) return 0;
    return this.change(key, now, (bucket) => takeToken(bucket, this.limit, now.getTime()));
  }

  /** Gives back the token an attempt took (it turned out to be no guess: the right password). */
  async giveBack(key: string, now: Date): Promise<void> {
    if (this.limit.capacity <= 0) return;
    await this.change(key, now, (bucket) => {
      const refilled = refill(bucket, this.limit, now.getTime());
      return { bucket: { ...refilled, tokens: Math.min(this.limit.capacity, refilled.tokens + 1) }, wait: 0 };
    });
  }

  /** Applies `step` to the stored bucket in one unit of work; a full bucket is deleted. */
  private change(
    key: string,
    now: Date,
    step: (bucket: Bucket | undefined) => { bucket: Bucket; wait: number },
  ): Promise<number> {
    const id = this.id(key);
    return this.store.transact(async (tx) => {
      const doc = await tx.get<BucketDoc>(RATE_LIMITS, id);
      const { bucket, wait } = step(doc ? { tokens: doc.data.tokens, at: doc.data.at } : undefined);
      if (wait > 0) return wait;
      const missing = this.limit.capacity - bucket.tokens;
      if (missing <= 0) {
        if (doc) tx.delete(RATE_LIMITS, id);
        return 0;
      }
      const fullInMs = Math.ceil((missing * this.limit.windowMs) / this.limit.capacity);
      tx.set(RATE_LIMITS, id, {
        tokens: bucket.tokens,
        at: bucket.at,
        expiresAt: new Date(now.getTime() + fullInMs),
      });
      return 0;
    });
  }
}

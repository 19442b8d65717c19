/**
 * Per-key token buckets held by one instance: `perMinute` requests a minute with bursts of
 * the same size. It protects an instance from a single noisy caller or address and tells
 * the client when to come back; it is no limit across instances. What must hold across
 * them (sign-in attempts per account) uses the shared buckets of
 * `application/token-bucket.ts`.
 */
import {
  type Bucket,
  type BucketLimit,
  refill,
  secondsUntilToken,
  takeToken,
} from '../application/token-bucket.ts';

const MAX_KEYS = 50_000;

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly limit: BucketLimit;

  constructor(perMinute: number) {
    this.limit = { capacity: perMinute, windowMs: 60_000 };
  }

  /** 0 when allowed (a token is taken); otherwise the seconds until a request would be. */
  take(key: string, now = Date.now()): number {
    if (this.limit.capacity <= 0) return 0;
    const { bucket, wait } = takeToken(this.buckets.get(key), this.limit, now);
    if (this.buckets.size >= MAX_KEYS && !this.buckets.has(key)) {
      const first = this.buckets.keys().next().value;
      if (first !== undefined) this.buckets.delete(first);
    }
    this.buckets.set(key, bucket);
    return wait;
  }

  /** What `take` would answer, without taking anything. */
  peek(key: string, now = Date.now()): number {
    const bucket = this.buckets.get(key);
    if (this.limit.capacity <= 0 || !bucket) return 0;
    return secondsUntilToken(refill(bucket, this.limit, now), this.limit);
  }
}

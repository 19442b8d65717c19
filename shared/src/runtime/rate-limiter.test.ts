/** The per-caller token bucket allows bursts, refills with time and says when to retry. */
import { expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.ts';

it('allows the burst, then asks to wait, then refills', () => {
  const limiter = new RateLimiter(60);
  const t0 = 1_000_000;
  for (let i = 0; i < 60; i++) expect(limiter.take('u', t0)).toBe(0);
  expect(limiter.take('u', t0)).toBe(1);
  expect(limiter.take('other', t0)).toBe(0);
  expect(limiter.take('u', t0 + 1_000)).toBe(0);
  expect(limiter.take('u', t0 + 1_000)).toBeGreaterThan(0);
});

it('0 per minute turns it off', () => {
  const limiter = new RateLimiter(0);
  for (let i = 0; i < 1000; i++) expect(limiter.take('u')).toBe(0);
});

it('peek tells what take would, without taking', () => {
  const limiter = new RateLimiter(2);
  const t0 = 1_000_000;
  expect(limiter.peek('u', t0)).toBe(0);
  limiter.take('u', t0);
  expect(limiter.peek('u', t0)).toBe(0);
  limiter.take('u', t0);
  expect(limiter.peek('u', t0)).toBe(30);
  expect(limiter.peek('u', t0)).toBe(30);
  expect(limiter.peek('u', t0 + 30_000)).toBe(0);
});

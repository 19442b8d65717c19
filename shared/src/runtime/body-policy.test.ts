/** A broken configuration must not reach functions-framework's HTML error page. */
import { describe, expect, it } from 'vitest';
import { safeLimitForTest } from './body-policy.ts';

describe('body policy', () => {
  it('falls back to a safe limit when the configured one cannot be read', () => {
    expect(
      safeLimitForTest(() => {
        throw new Error('Invalid configuration');
      }),
    ).toBe(256 * 1024);
    expect(safeLimitForTest(() => 1234)).toBe(1234);
  });
});

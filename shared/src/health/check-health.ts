/** Health: one cheap round trip to each dependency, each bounded in time. */
import type { Deps } from '../runtime/deps.ts';

export interface Health {
  ok: boolean;
  checks: Record<string, 'ok' | 'unavailable'>;
}

export async function checkHealth(deps: Pick<Deps, 'store' | 'publisher'>): Promise<Health> {
  const probes: Record<string, () => Promise<void>> = {
    firestore: () => deps.store.ping(),
    pubsub: () => deps.publisher.ping(),
  };
  const names = Object.keys(probes);
  const results = await Promise.allSettled(names.map((n) => probes[n]!()));
  const checks = Object.fromEntries(
    names.map((n, i) => [n, results[i]?.status === 'fulfilled' ? 'ok' : 'unavailable']),
  ) as Health['checks'];
  return { ok: Object.values(checks).every((c) => c === 'ok'), checks };
}

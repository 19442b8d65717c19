/** Health: one cheap round trip to each dependency, each bounded in time. */
import type { BlobStore } from '../ports/blob-store.ts';
import type { Deps } from '../ports/deps.ts';

export interface Health {
  ok: boolean;
  checks: Record<string, 'ok' | 'unavailable'>;
}

/** What the probes use; storage is checked when the deps carry a blob store and its bucket. */
export type HealthDeps = Pick<Deps, 'store' | 'publisher'> & {
  blobs?: Pick<BlobStore, 'ping'>;
  media?: { bucket: string };
};

export async function checkHealth(deps: HealthDeps): Promise<Health> {
  const { blobs, media } = deps;
  const probes: Record<string, () => Promise<void>> = {
    firestore: () => deps.store.ping(),
    ...(blobs && media ? { storage: () => blobs.ping(media.bucket) } : {}),
    pubsub: () => deps.publisher.ping(),
  };
  const names = Object.keys(probes);
  const results = await Promise.allSettled(names.map((n) => probes[n]!()));
  const checks = Object.fromEntries(
    names.map((n, i) => [n, results[i]?.status === 'fulfilled' ? 'ok' : 'unavailable']),
  ) as Health['checks'];
  return { ok: Object.values(checks).every((c) => c === 'ok'), checks };
}

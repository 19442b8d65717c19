/** A full set of in-memory dependencies, for unit and component tests. */
import { MemoryBlobStore } from '../adapters/memory/memory-blob-store.ts';
import { MemoryDocumentStore } from '../adapters/memory/memory-document-store.ts';
import { MemoryEventPublisher } from '../adapters/memory/memory-event-publisher.ts';
import { MemoryIdentityProvider } from '../adapters/memory/memory-identity-provider.ts';
import { MemoryKeyring } from '../adapters/memory/memory-keyring.ts';
import { SharpImageProcessor } from '../adapters/sharp/sharp-image-processor.ts';
import { parseMediaConfig } from '../config/media-config.ts';
import { randomIds } from '../ports/clock.ts';
import type { Deps, MediaDeps } from '../ports/deps.ts';
import { USERS } from '../stores/user-store.ts';

/** Real image processing (sharp is local), everything else in memory. */
export interface MemoryDeps extends MediaDeps {
  store: MemoryDocumentStore;
  publisher: MemoryEventPublisher;
  identity: MemoryIdentityProvider;
  blobs: MemoryBlobStore;
  /** The webhook keyring (production wiring reads Secret Manager). */
  keyring: MemoryKeyring;
  /** Moves the clock forward. */
  advance(ms: number): void;
}

export function memoryDeps(start = new Date('2026-01-01T00:00:00.000Z')): MemoryDeps {
  let now = start.getTime();
  return {
    store: new MemoryDocumentStore(),
    publisher: new MemoryEventPublisher(),
    identity: new MemoryIdentityProvider(),
    blobs: new MemoryBlobStore(),
    keyring: new MemoryKeyring(),
    images: new SharpImageProcessor(),
    media: parseMediaConfig({ GOOGLE_CLOUD_PROJECT: 'demo-taskman' }),
    clock: { now: () => new Date(now) },
    ids: randomIds,
    serviceId: 'taskman-test',
    idempotencyTtlHours: 24,
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Gives a set of dependencies a user profile (tests and benchmarks that need an owner). */
export async function seedUser(deps: Deps, id: string, role: 'member' | 'admin' = 'member'): Promise<void> {
  const now = deps.clock.now().toISOString();
  await deps.store.transact(async (tx) =>
    tx.set(USERS, id, {
      id,
      email: `${id}@example.com`,
      displayName: id,
      role,
      preferences: {},
      createdAt: now,
      updatedAt: now,
    }),
  );
}

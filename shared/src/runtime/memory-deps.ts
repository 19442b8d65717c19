/** A full set of in-memory dependencies, for unit and component tests. */
import { MemoryDocumentStore } from '../adapters/memory/memory-document-store.ts';
import { MemoryEventPublisher } from '../adapters/memory/memory-event-publisher.ts';
import { MemoryIdentityProvider } from '../adapters/memory/memory-identity-provider.ts';
import { randomIds } from '../ports/clock.ts';
import type { Deps } from './deps.ts';

export interface MemoryDeps extends Deps {
  store: MemoryDocumentStore;
  publisher: MemoryEventPublisher;
  identity: MemoryIdentityProvider;
  /** Moves the clock forward. */
  advance(ms: number): void;
}

export function memoryDeps(start = new Date('2026-01-01T00:00:00.000Z')): MemoryDeps {
  let now = start.getTime();
  return {
    store: new MemoryDocumentStore(),
    publisher: new MemoryEventPublisher(),
    identity: new MemoryIdentityProvider(),
    clock: { now: () => new Date(now) },
    ids: randomIds,
    serviceId: 'taskman-test',
    idempotencyTtlHours: 24,
    advance(ms: number) {
      now += ms;
    },
  };
}

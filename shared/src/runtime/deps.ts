/**
 * The dependencies use cases take, and the production set built from configuration.
 * Building the set creates adapter objects only; each connects on first use.
 */
import { FirebaseIdentityProvider } from '../adapters/firebase-auth/firebase-identity-provider.ts';
import { FirestoreDocumentStore } from '../adapters/firestore/firestore-document-store.ts';
import { PubSubEventPublisher } from '../adapters/pubsub/pubsub-event-publisher.ts';
import { config } from '../config/config.ts';
import { type Clock, type IdSource, randomIds, systemClock } from '../ports/clock.ts';
import type { DocumentStore } from '../ports/document-store.ts';
import type { EventPublisher } from '../ports/event-publisher.ts';
import type { IdentityProvider } from '../ports/identity.ts';

export interface Deps {
  store: DocumentStore;
  publisher: EventPublisher;
  identity: IdentityProvider;
  clock: Clock;
  ids: IdSource;
  /** Names this service in event envelopes. */
  serviceId: string;
  idempotencyTtlHours: number;
}

let current: Deps | undefined;

/** The process's dependencies: production adapters unless a test replaced them. */
export function appDeps(): Deps {
  if (!current) {
    const c = config();
    current = {
      store: new FirestoreDocumentStore({ projectId: c.projectId, timeoutMs: c.outboundTimeoutMs }),
      publisher: new PubSubEventPublisher({ projectId: c.projectId, timeoutMs: c.outboundTimeoutMs }),
      identity: new FirebaseIdentityProvider({
        projectId: c.projectId,
        apiKey: c.firebaseApiKey,
        emulatorHost: c.authEmulatorHost,
        timeoutMs: c.outboundTimeoutMs,
      }),
      clock: systemClock,
      ids: randomIds,
      serviceId: c.serviceId,
      idempotencyTtlHours: c.idempotencyTtlHours,
    };
  }
  return current;
}

/** Replaces the process's dependencies (component tests with in-memory adapters). */
export function setAppDeps(deps: Deps | undefined): void {
  current = deps;
}

/**
 * The production dependencies, built from configuration: Firestore, Pub/Sub and Firebase
 * Auth. Building the set creates adapter objects only; each connects on first use.
 */
import { FirebaseIdentityProvider } from '../adapters/firebase-auth/firebase-identity-provider.ts';
import { FirestoreDocumentStore } from '../adapters/firestore/firestore-document-store.ts';
import { PubSubEventPublisher } from '../adapters/pubsub/pubsub-event-publisher.ts';
import { config } from '../config/config.ts';
import { randomIds, systemClock } from '../ports/clock.ts';
import type { Deps } from '../ports/deps.ts';

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

/** Webhooks: registration, URL checks, signed delivery, retries, sealed secrets and their rotation, dead-lettered commands: integration run (HTTP to the local stack; the dev host ticks the retry sweep). */
import { PubSub } from '@google-cloud/pubsub';
import { FirestoreDocumentStore } from '@taskman/shared/adapters/firestore/firestore-document-store';
import { addFileKeyVersion, FileKeyring } from '@taskman/shared/adapters/secret-manager/file-keyring';
import { systemClock } from '@taskman/shared/ports/clock';
import { rotateWebhookSecrets } from '@taskman/shared/webhooks/rotate-secrets';
import { afterAll, inject } from 'vitest';
import { useStackApi } from './use-stack.ts';
import { webhooksSuite } from './webhooks.suite.ts';

process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreHost');
process.env.PUBSUB_EMULATOR_HOST = inject('pubsubHost');
const store = new FirestoreDocumentStore({ projectId: inject('projectId'), timeoutMs: 10_000 });
const pubsub = new PubSub({ projectId: inject('projectId') });
afterAll(() => pubsub.close());

// The test stack sets WEBHOOK_MAX_ATTEMPTS=3 (dev/src/test-stack.ts).
webhooksSuite(useStackApi(), {
  maxAttempts: 3,
  store: () => store,
  rotateKeys: async () => {
    // What an operator does: add a key version (locally, to the stack's key file), then re-seal.
    const file = inject('webhookKeysFile');
    await addFileKeyVersion(file);
    await rotateWebhookSecrets(
      { batchSize: 50, dryRun: false },
      { store, clock: systemClock, keyring: new FileKeyring(file) },
    );
  },
  publishRaw: async (topic, data) => {
    await pubsub.topic(topic).publishMessage({ data: Buffer.from(JSON.stringify(data)) });
  },
});

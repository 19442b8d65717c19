/** The Firestore adapter keeps the DocumentStore contract on the real emulator. */
import { inject } from 'vitest';
import { documentStoreContract } from '../../ports/document-store.contract.ts';
import { FirestoreDocumentStore } from './firestore-document-store.ts';

process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreHost');
// The adapter logs what Firestore refuses, through the catalogue, which reads the configuration.
process.env.GOOGLE_CLOUD_PROJECT ??= inject('projectId');
process.env.LOG_LEVEL ??= 'silent';
const store = new FirestoreDocumentStore({ projectId: inject('projectId'), timeoutMs: 10_000 });
documentStoreContract('firestore emulator', () => store);

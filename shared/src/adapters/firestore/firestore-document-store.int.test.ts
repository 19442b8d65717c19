/** The Firestore adapter keeps the DocumentStore contract on the real emulator. */
import { inject } from 'vitest';
import { documentStoreContract } from '../../ports/document-store.contract.ts';
import { FirestoreDocumentStore } from './firestore-document-store.ts';

process.env.FIRESTORE_EMULATOR_HOST = inject('firestoreHost');
const store = new FirestoreDocumentStore({ projectId: inject('projectId'), timeoutMs: 10_000 });
documentStoreContract('firestore emulator', () => store);

/** The in-memory store keeps the DocumentStore contract, and fails like a database that is down. */
import { expect, it } from 'vitest';
import { documentStoreContract } from '../../ports/document-store.contract.ts';
import { MemoryDocumentStore } from './memory-document-store.ts';

const store = new MemoryDocumentStore();
documentStoreContract('memory', () => store);

it('a store that is down fails with DEPENDENCY.UNAVAILABLE', async () => {
  const down = new MemoryDocumentStore();
  down.down = true;
  await expect(down.get('x', 'y')).rejects.toMatchObject({ code: 'DEPENDENCY.UNAVAILABLE', status: 503 });
});

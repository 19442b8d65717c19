/**
 * The behaviour every DocumentStore adapter must share, as one suite run against the
 * in-memory store (unit) and against Firestore's emulator (integration): query semantics,
 * cursors, optimistic units of work under contention, and the values Firestore refuses.
 */
import { describe, expect, it } from 'vitest';
import { AppError, isAppError } from '../errors/app-error.ts';
import { DOC_ID, type DocumentStore } from './document-store.ts';

export function documentStoreContract(name: string, store: () => DocumentStore): void {
  describe(`DocumentStore contract: ${name}`, () => {
    const unique = () => `c${Date.now()}${Math.random().toString(36).slice(2, 8)}`;

    it('gets what was created, and null for what was not', async () => {
      const col = unique();
      await store().transact(async (tx) => tx.create(col, 'a', { n: 1, nested: { x: [1, 2] }, none: null }));
      expect(await store().get(col, 'a')).toEqual({
        id: 'a',
        data: { n: 1, nested: { x: [1, 2] }, none: null },
      });
      expect(await store().get(col, 'b')).toBeNull();
    });

    it('refuses a field name Firestore reserves (`__.*__`) as REQUEST.VALIDATION, writing nothing', async () => {
      const col = unique();
      const write = store().transact(async (tx) => {
        tx.create(col, 'fine', { n: 1 });
        tx.set(col, 'refused', { preferences: { theme: 'dark', __x__: 1 } });
      });
      await expect(write).rejects.toSatisfy(
        (e) => isAppError(e) && e.code === 'REQUEST.VALIDATION' && e.status === 400,
      );
      expect(await store().get(col, 'fine')).toBeNull();
      expect(await store().get(col, 'refused')).toBeNull();
    });

    it('orders null first, then numbers, then strings; filters by type; pages with startAfter', async () => {
      const col = unique();
      await store().transact(async (tx) => {
        tx.create(col, 'd1', { due: null, tags: ['x'], n: 2 });
        tx.create(col, 'd2', { due: '2026-02-01', tags: ['x', 'y'], n: 1 });
        tx.create(col, 'd3', { due: '2026-01-01', tags: ['y'], n: 3 });
        tx.create(col, 'd4', { due: '2026-03-01', tags: ['x'], n: 1 });
        tx.create(col, 'd5', { tags: ['x'], n: 9 });
      });
      const all = await store().query({
        collection: col,
        where: [],
        orderBy: [
          { field: 'due', direction: 'asc' },
          { field: DOC_ID, direction: 'asc' },
        ],
        limit: 10,
      });
      expect(all.map((d) => d.id)).toEqual(['d1', 'd3', 'd2', 'd4']);
      const ranged = await store().query({
        collection: col,
        where: [
          { field: 'tags', op: 'array-contains', value: 'x' },
          { field: 'due', op: '<', value: '2026-12-31' },
        ],
        orderBy: [
          { field: 'n', direction: 'desc' },
          { field: 'due', direction: 'asc' },
          { field: DOC_ID, direction: 'desc' },
        ],
        limit: 10,
      });
      expect(ranged.map((d) => d.id)).toEqual(['d2', 'd4']);
      const page2 = await store().query({
        collection: col,
        where: [{ field: 'n', op: '==', value: 1 }],
        orderBy: [
          { field: 'n', direction: 'asc' },
          { field: DOC_ID, direction: 'asc' },
        ],
        startAfter: [1, 'd2'],
        limit: 10,
      });
      expect(page2.map((d) => d.id)).toEqual(['d4']);
    });

    it('a unit of work sees a consistent read and commits all of its writes or none', async () => {
      const col = unique();
      await store().transact(async (tx) => tx.create(col, 'a', { v: 1 }));
      await expect(
        store().transact(async (tx) => {
          tx.set(col, 'b', { v: 1 });
          tx.create(col, 'a', { v: 2 });
        }),
      ).rejects.toBeInstanceOf(AppError);
      expect(await store().get(col, 'b')).toBeNull();
      expect((await store().get(col, 'a'))?.data).toEqual({ v: 1 });
    });

    it('replacing a document removes the fields the new version lacks', async () => {
      const col = unique();
      await store().transact(async (tx) => tx.create(col, 'a', { keep: 1, drop: 2 }));
      await store().transact(async (tx) => {
        const doc = await tx.get(col, 'a');
        tx.set(col, 'a', { keep: (doc?.data.keep as number) + 1 });
      });
      expect((await store().get(col, 'a'))?.data).toEqual({ keep: 2 });
    });

    it('concurrent read-modify-write units lose no update', async () => {
      const col = unique();
      await store().transact(async (tx) => tx.create(col, 'counter', { n: 0 }));
      await Promise.all(
        Array.from({ length: 8 }, () =>
          store().transact(async (tx) => {
            const doc = await tx.get<{ n: number }>(col, 'counter');
            tx.set(col, 'counter', { n: (doc?.data.n ?? 0) + 1 });
          }),
        ),
      );
      expect((await store().get(col, 'counter'))?.data).toEqual({ n: 8 });
    });

    it('a version check inside the unit lets exactly one of many racing writers win', async () => {
      const col = unique();
      await store().transact(async (tx) => tx.create(col, 'doc', { version: 1 }));
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          store().transact(async (tx) => {
            const doc = await tx.get<{ version: number }>(col, 'doc');
            if (doc?.data.version !== 1) throw new AppError('PRECONDITION.FAILED', 'stale');
            tx.set(col, 'doc', { version: 2 });
          }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(
        results
          .filter((r) => r.status === 'rejected')
          .every((r) => (r.reason as AppError).code === 'PRECONDITION.FAILED'),
      ).toBe(true);
    });

    it('deletes, also inside a unit guarded by a read', async () => {
      const col = unique();
      await store().transact(async (tx) => {
        tx.create(col, 'a', { v: 1 });
        tx.create(col, 'b', { v: 1 });
      });
      await store().transact(async (tx) => {
        await tx.get(col, 'a');
        tx.delete(col, 'a');
        tx.delete(col, 'b');
      });
      expect(await store().get(col, 'a')).toBeNull();
      expect(await store().get(col, 'b')).toBeNull();
    });

    it('stores a Date as a timestamp and gives back a Date (for TTL policies)', async () => {
      const col = unique();
      const at = new Date('2030-01-02T03:04:05.678Z');
      await store().transact(async (tx) => tx.create(col, 'a', { expiresAt: at, nested: { when: at } }));
      const back = (await store().get(col, 'a'))?.data ?? {};
      expect(back.expiresAt).toBeInstanceOf(Date);
      expect((back.expiresAt as Date).toISOString()).toBe(at.toISOString());
      expect((back.nested as { when: Date }).when.getTime()).toBe(at.getTime());
    });

    it('counts matching documents', async () => {
      const col = unique();
      await store().transact(async (tx) => {
        for (let i = 0; i < 5; i++) tx.create(col, `d${i}`, { even: i % 2 === 0, tags: ['t'] });
      });
      expect(await store().count(col, [])).toBe(5);
      expect(await store().count(col, [{ field: 'even', op: '==', value: true }])).toBe(3);
      expect(await store().count(col, [{ field: 'tags', op: 'array-contains', value: 'x' }])).toBe(0);
    });

    it('answers a ping', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });
  });
}

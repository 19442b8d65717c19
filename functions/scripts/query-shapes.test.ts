/** The committed index file matches the generator, and serves every query the app can make. */
import { readFile } from 'node:fs/promises';
import {
  COMPOSITE_INDEX_LIMIT,
  type CompositeIndex,
  indexesFor,
  isServed,
  renderIndexFile,
} from '@taskman/shared/adapters/firestore/firestore-indexes';
import { describe, expect, it } from 'vitest';
import { generateIndexFile, taskListShapes } from './query-shapes.ts';

const committed = new URL('../../emulator-config/firestore.indexes.json', import.meta.url);

describe('firestore indexes', () => {
  it('the committed JSON is what `npm run indexes` generates', async () => {
    const text = await readFile(committed, 'utf8');
    expect(text, 'emulator-config/firestore.indexes.json is stale: run `npm run indexes`').toBe(
      renderIndexFile(await generateIndexFile()),
    );
  });

  it('stays within the composite index limit', async () => {
    const file = await generateIndexFile();
    expect(file.indexes.length).toBeGreaterThan(0);
    expect(file.indexes.length).toBeLessThanOrEqual(COMPOSITE_INDEX_LIMIT);
  });

  it('serves every query shape taskListQuery can build, exactly or by merging', async () => {
    const shapes = taskListShapes();
    // 2 actors × label? × 5 statuses × 5 priorities × assignee? × dueAfter? × dueBefore? × 6 sorts
    expect(shapes).toHaveLength(2 * 2 * 5 * 5 * 2 * 2 * 2 * 6);
    const { indexes } = await generateIndexFile();
    const unserved = shapes.filter((q) => !isServed(q, indexes));
    expect(unserved).toEqual([]);
  });

  it('serves every other captured query (media, users, comments, outbox)', async () => {
    const { indexes } = await generateIndexFile();
    const { appQueryShapes } = await import('./query-shapes.ts');
    const shapes = await appQueryShapes();
    expect(shapes.some((q) => q.collection === 'media')).toBe(true);
    expect(shapes.some((q) => q.collection === 'outbox')).toBe(true);
    expect(shapes.filter((q) => !isServed(q, indexes))).toEqual([]);
  });

  it('needs every task index: dropping any one leaves some list query unserved', async () => {
    const { indexes } = await generateIndexFile();
    const shapes = taskListShapes();
    const tasks = indexes.filter((i) => i.collectionGroup === 'tasks');
    const needless = tasks.filter((dropped) => {
      const fewer = indexes.filter((i) => i !== dropped);
      return shapes.every((q) => isServed(q, fewer));
    });
    expect(needless).toEqual([]);
  });

  it('merges: one index per filter field and sort suffix, not per combination', () => {
    const q = (fields: string[]) => ({
      collection: 'tasks',
      where: fields.map((field) => ({ field, op: '==' as const, value: 'x' })),
      orderBy: [
        { field: 'createdAt', direction: 'desc' as const },
        { field: '__id__', direction: 'desc' as const },
      ],
    });
    const indexes = indexesFor([q(['a', 'b', 'c'])]);
    expect(indexes.map((i) => i.fields.map((f) => f.fieldPath))).toEqual([
      ['a', 'createdAt'],
      ['b', 'createdAt'],
      ['c', 'createdAt'],
    ]);
    expect(isServed(q(['a', 'c']), indexes)).toBe(true);
    expect(isServed(q(['a', 'd']), indexes)).toBe(false);
    // A different sort suffix cannot be merged in.
    const other: CompositeIndex = {
      collectionGroup: 'tasks',
      queryScope: 'COLLECTION',
      fields: [
        { fieldPath: 'd', order: 'ASCENDING' },
        { fieldPath: 'createdAt', order: 'ASCENDING' },
      ],
    };
    expect(isServed(q(['a', 'd']), [...indexes, other])).toBe(false);
  });

  it('orders __name__ explicitly when it runs against the last field', () => {
    const indexes = indexesFor([
      {
        collection: 'tasks',
        where: [{ field: 'dueDate', op: '>', value: '2026' }],
        orderBy: [
          { field: 'createdAt', direction: 'desc' },
          { field: 'dueDate', direction: 'asc' },
          { field: '__id__', direction: 'desc' },
        ],
      },
    ]);
    expect(indexes[0]?.fields).toEqual([
      { fieldPath: 'createdAt', order: 'DESCENDING' },
      { fieldPath: 'dueDate', order: 'ASCENDING' },
      { fieldPath: '__name__', order: 'DESCENDING' },
    ]);
  });
});

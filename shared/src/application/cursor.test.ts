/** Cursors are opaque, bound to their query, and refuse anything else with 400. */
import { describe, expect, it } from 'vitest';
import { DOC_ID } from '../ports/document-store.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';

const q = {
  collection: 'tasks',
  where: [{ field: 'status', op: '==' as const, value: 'PENDING' }],
  orderBy: [
    { field: 'createdAt', direction: 'desc' as const },
    { field: DOC_ID, direction: 'desc' as const },
  ],
};

describe('cursors', () => {
  it('round-trip a position', () => {
    expect(decodeCursor(encodeCursor(['2026-01-01T00:00:00.000Z', 'abc'], q), q)).toEqual([
      '2026-01-01T00:00:00.000Z',
      'abc',
    ]);
  });
  it('refuse a cursor of another query', () => {
    const other = { ...q, where: [{ field: 'status', op: '==' as const, value: 'COMPLETED' }] };
    expect(() => decodeCursor(encodeCursor(['x', 'abc'], q), other)).toThrowError(/cursor/);
  });
  it.each([
    'garbage',
    '',
    Buffer.from('{"p":[1],"q":"x"}').toString('base64url'),
    Buffer.from('[]').toString('base64url'),
    Buffer.from('null').toString('base64url'),
  ])('refuse %j with REQUEST.BAD_CURSOR', (cursor) => {
    expect(() => decodeCursor(cursor, q)).toThrowError(
      expect.objectContaining({ code: 'REQUEST.BAD_CURSOR', status: 400 }),
    );
  });
  it('refuse a position whose id is not an id', () => {
    const forged = encodeCursor(['x', '../etc'], q);
    expect(() => decodeCursor(forged, q)).toThrowError(
      expect.objectContaining({ code: 'REQUEST.BAD_CURSOR' }),
    );
  });
});

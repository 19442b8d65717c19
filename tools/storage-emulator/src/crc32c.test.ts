/** CRC32C against the published check value and the Node client's own implementation. */
import { randomBytes } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { crc32c, crc32cBase64 } from './crc32c.ts';

describe('crc32c', () => {
  it('gives the Castagnoli check value for "123456789"', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('matches the client library on random data of every alignment, whole and in pieces', () => {
    for (const size of [1, 7, 8, 9, 63, 64, 1000, 65_537]) {
      const data = randomBytes(size);
      const theirs = new CRC32C();
      theirs.update(data);
      expect(crc32cBase64(crc32c(data))).toBe(theirs.toString());
      const cut = Math.floor(size / 3);
      const pieces = crc32c(data.subarray(cut), crc32c(data.subarray(0, cut)));
      expect(pieces).toBe(crc32c(data));
    }
  });
});

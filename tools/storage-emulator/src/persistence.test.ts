/**
 * With a data directory, buckets, objects (bytes and metadata) and notification
 * configurations survive a restart; overwritten and deleted content does not linger on disk.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEmulator, testBytes } from './testing.ts';

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'storage-emulator-data-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('dataDir', () => {
  it('keeps buckets, objects and notification configs across a restart', async () => {
    const data = testBytes(2 * 1024 * 1024 + 5, 31);
    const first = await startTestEmulator({ dataDir });
    const [bucket] = await first.storage.createBucket('kept', { labels: { a: 'b' } });
    await bucket.file('big.bin').save(data, { metadata: { metadata: { k: 'v' } } });
    await bucket.file('overwritten.txt').save('old');
    await bucket.file('overwritten.txt').save('new');
    await bucket.file('gone.txt').save('x');
    await bucket.file('gone.txt').delete();
    await bucket.createNotification('topic-a');
    const [before] = await bucket.file('big.bin').getMetadata();
    await first.emulator.close();

    const blobs = await readdir(join(dataDir, 'blobs'));
    expect(blobs).toHaveLength(2);

    const second = await startTestEmulator({ dataDir });
    try {
      const again = second.storage.bucket('kept');
      expect((await again.getMetadata())[0].labels).toEqual({ a: 'b' });
      const [after] = await again.file('big.bin').getMetadata();
      expect(after).toMatchObject({
        generation: before.generation,
        md5Hash: before.md5Hash,
        crc32c: before.crc32c,
        metadata: { k: 'v' },
      });
      expect((await again.file('big.bin').download())[0].equals(data)).toBe(true);
      expect((await again.file('overwritten.txt').download())[0].toString()).toBe('new');
      expect((await again.file('gone.txt').exists())[0]).toBe(false);
      const [files] = await again.getFiles();
      expect(files.map((f) => f.name)).toEqual(['big.bin', 'overwritten.txt']);
      expect((await again.getNotifications())[0]).toHaveLength(1);

      // Generations keep increasing after a restart.
      await again.file('later.txt').save('x');
      const [later] = await again.file('later.txt').getMetadata();
      expect(BigInt(later.generation as string) > BigInt(before.generation as string)).toBe(true);
    } finally {
      await second.emulator.close();
    }
  });
});

/** Reprocessing after a change of sizes: every item once, resumable, idempotent, bounded. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseMediaConfig } from '../config/media-config.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { MEDIA, type MediaDoc } from '../stores/media-store.ts';
import { type MemoryDeps, memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { processUpload } from './process-upload.ts';
import { REPROCESS_RUNS, runReprocess } from './reprocess.ts';

setLogger(createLogger({ level: 'silent' }));
const fixtures = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'fixtures', 'images');
const photo = readFileSync(join(fixtures, 'Landscape_1.jpg'));
let deps: MemoryDeps;

beforeEach(async () => {
  deps = memoryDeps();
  await seedUser(deps, 'u1');
  for (let i = 0; i < 7; i++) {
    const name = `uploads/u1/m${i}/p.jpg`;
    const info = await deps.blobs.write(deps.media.bucket, name, photo, { contentType: 'image/jpeg' });
    await processUpload({ ...info, metadata: {} }, deps);
  }
  deps.media = parseMediaConfig({
    GOOGLE_CLOUD_PROJECT: 'demo-taskman',
    MEDIA_SIZES: 'thumb:100x100,large:400x400',
  });
});

const variantsOf = async (id: string) =>
  (await deps.store.get<MediaDoc>(MEDIA, id))?.data.variants.map((v) => [v.name, v.width]);
const options = { concurrency: 2, dryRun: false, batchSize: 3 };

describe('reprocess', () => {
  it('a dry run reports what would change and changes nothing', async () => {
    const writes = deps.blobs.writes.length;
    const result = await runReprocess({ ...options, dryRun: true }, deps);
    expect(result.counts).toEqual({ reprocessed: 7, failed: 0, current: 0, skipped: 0 });
    expect(deps.blobs.writes.length).toBe(writes);
    expect(await variantsOf('m0')).toEqual([
      ['thumb', 200],
      ['small', 600],
      ['medium', 600],
    ]);
  });

  it('renders every media with the new sizes, once; a second run does nothing', async () => {
    const seen: number[] = [];
    const result = await runReprocess(options, deps, (p) => seen.push(p.done));
    expect(result).toMatchObject({
      total: 7,
      done: 7,
      counts: { reprocessed: 7, failed: 0, current: 0, skipped: 0 },
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (let i = 0; i < 7; i++)
      expect(await variantsOf(`m${i}`)).toEqual([
        ['thumb', 100],
        ['large', 400],
      ]);
    // Old variants no longer in the settings are removed from storage.
    expect(await deps.blobs.list(deps.media.bucket, 'variants/m0/')).toEqual([
      'variants/m0/thumb.jpg',
      'variants/m0/large.jpg',
    ]);
    const writes = deps.blobs.writes.length;
    const again = await runReprocess(options, deps);
    expect(again.counts.reprocessed).toBe(0);
    expect(deps.blobs.writes.length).toBe(writes);
  });

  it('a run that dies part-way resumes from its checkpoint and does nothing twice', async () => {
    let calls = 0;
    const write = deps.blobs.write.bind(deps.blobs);
    deps.blobs.write = async (...args) => {
      // Die while rendering the 5th item (2 variants per item).
      if (++calls > 8) throw new Error('process killed');
      return write(...args);
    };
    await expect(runReprocess(options, deps)).rejects.toThrow('process killed');
    const checkpoint = (
      await deps.store.get(
        REPROCESS_RUNS,
        (
          await deps.store.query({
            collection: REPROCESS_RUNS,
            where: [],
            orderBy: [{ field: '__id__', direction: 'asc' }],
            limit: 1,
          })
        )[0]!.id,
      )
    )?.data;
    expect(checkpoint).toMatchObject({ lastId: 'm2', finishedAt: null });

    deps.blobs.write = write;
    // The dead run's lease on the item it was rendering runs out before the restart.
    deps.advance(deps.media.processingLeaseSeconds * 1000 + 1);
    const writesBefore = deps.blobs.writes.length;
    const resumed = await runReprocess(options, deps);
    expect(resumed.resumedFrom).toBe('m2');
    // Only m4..m6 and the interrupted m3's missing work: m3 is re-rendered, m0..m2 are not touched.
    const rewritten = deps.blobs.writes.slice(writesBefore);
    expect(rewritten.every((n) => /variants\/m[3-6]\//.test(n))).toBe(true);
    for (let i = 0; i < 7; i++)
      expect(await variantsOf(`m${i}`)).toEqual([
        ['thumb', 100],
        ['large', 400],
      ]);
  });

  it('--max bounds a run; the next run continues', async () => {
    const first = await runReprocess({ ...options, maxItems: 4 }, deps);
    expect(first.done).toBe(4);
    const second = await runReprocess(options, deps);
    expect(second.counts.reprocessed).toBe(7);
    expect(second.resumedFrom).toBe('m3');
  });
});

/**
 * The thumbnail pipeline end to end (object finalized → header read → variants rendered
 * and stored → media document ready, with its events) against a bare sharp script doing
 * the same decodes, resizes and encodes, at the same concurrency, side by side in one run.
 * Storage is the local Cloud Storage emulator in its own process, over HTTP with the real
 * client (storage is remote in the cloud, and its RSS is not the pipeline's); documents
 * and events are in memory (the Firestore emulator's latency is a property of the
 * emulator, not of the pipeline). Prints a table and, as its last line, JSON figures.
 *
 *   npx tsx bench/pipeline.ts [--count 60] [--rounds 3] [--concurrency 2] [--memory-count 1000] [--no-memory]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { GcsBlobStore } from '../shared/src/adapters/gcs/gcs-blob-store.ts';
import { parseMediaConfig } from '../shared/src/config/media-config.ts';
import { createLogger, setLogger } from '../shared/src/logging/logger.ts';
import { type FinalizedObject, processUpload } from '../shared/src/media/process-upload.ts';
import { memoryDeps, seedUser } from '../shared/src/testing/memory-deps.ts';
import { type Measurement, measure } from './pipeline-vs-sharp.ts';

const PHOTO = '2569067123_aca715a2ee_o.jpg';
const input = readFileSync(join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'images', PHOTO));
const QUALITY = 80;
const SIZES = [
  ['thumb', 200],
  ['small', 640],
  ['medium', 1280],
] as const;
const MB = 1024 * 1024;
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function bareSharp(): Promise<void> {
  await Promise.all(
    SIZES.map(([, px]) =>
      sharp(input)
        .rotate()
        .resize(px, px, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: QUALITY })
        .toBuffer(),
    ),
  );
}

/** The storage emulator in its own process, as storage is remote in the cloud. */
async function externalStorage(): Promise<{ url: string; close(): void }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, '..', 'tools', 'storage-emulator', 'src', 'cli.ts'),
      '--port',
      '0',
      '--bucket',
      'demo-bench-media',
      '--log-level',
      'silent',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = out.match(/STORAGE_EMULATOR_HOST=(\S+)/);
      if (m) ok(m[1]!);
    });
    child.on('exit', (code) => fail(new Error(`storage emulator exited ${code}`)));
  });
  return { url, close: () => child.kill() };
}

/** A pipeline on a fresh storage emulator; `prepare(n)` uploads n originals (not timed). */
async function pipelineRig(options: { deleteOriginal: boolean }) {
  setLogger(createLogger({ level: 'silent' }));
  const storage = await externalStorage();
  const deps = memoryDeps();
  deps.clock = { now: () => new Date() };
  deps.media = parseMediaConfig({
    GOOGLE_CLOUD_PROJECT: 'demo-bench',
    MEDIA_QUALITY: String(QUALITY),
    MEDIA_FAILED_PREFIX: '',
    MEDIA_DELETE_ORIGINAL: options.deleteOriginal ? 'always' : 'never',
  });
  const blobs = new GcsBlobStore({ projectId: 'demo-bench', apiEndpoint: storage.url, timeoutMs: 60_000 });
  Object.assign(deps, { blobs });
  await seedUser(deps, 'bench');
  const objects: FinalizedObject[] = [];
  const upload = async (i: number) => {
    const info = await blobs.write(deps.media.bucket, `uploads/bench/m${i}/photo.jpg`, input, {
      contentType: 'image/jpeg',
    });
    objects[i] = { ...info, metadata: {} };
  };
  const run = async (i: number) => {
    const result = await processUpload(objects[i]!, deps);
    if (result.outcome !== 'ready') throw new Error(`pipeline: ${JSON.stringify(result)}`);
  };
  return {
    prepare: async (from: number, to: number) => {
      for (let i = from; i < to; i++) await upload(i);
    },
    run,
    /** Upload then process (memory runs: originals do not pile up anywhere). */
    uploadAndRun: async (i: number) => {
      await upload(i);
      await run(i);
      delete objects[i];
    },
    close: () => storage.close(),
  };
}

interface MemoryFigures {
  rssMbAfter50: number;
  rssMbAtEnd: number;
  count: number;
  ratio: number;
}

async function memoryChild(count: number, concurrency: number): Promise<MemoryFigures> {
  const rig = await pipelineRig({ deleteOriginal: true });
  await measure('pipeline', rig.uploadAndRun, { concurrency, count: 50 });
  const after50 = process.memoryUsage.rss() / MB;
  await measure('pipeline', (i) => rig.uploadAndRun(i + 50), { concurrency, count: count - 50 });
  const atEnd = process.memoryUsage.rss() / MB;
  rig.close();
  return {
    count,
    rssMbAfter50: Math.round(after50),
    rssMbAtEnd: Math.round(atEnd),
    ratio: Math.round((atEnd / after50) * 100) / 100,
  };
}

function inChild(count: number, concurrency: number): Promise<MemoryFigures> {
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        '--memory-child',
        `--memory-count=${count}`,
        `--concurrency=${concurrency}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.on('exit', (code) =>
      code === 0
        ? ok(JSON.parse(out.trim().split('\n').at(-1)!) as MemoryFigures)
        : fail(new Error(`memory child exited ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '60' },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: String(availableParallelism()) },
      'memory-count': { type: 'string', default: '1000' },
      'no-memory': { type: 'boolean', default: false },
      'memory-child': { type: 'boolean', default: false },
    },
  });
  const count = Number(values.count);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  if (values['memory-child']) {
    console.log(JSON.stringify(await memoryChild(Number(values['memory-count']), concurrency)));
    process.exit(0);
  }
  console.log(
    `${PHOTO}: pipeline (storage emulator over HTTP, in-memory documents) vs bare sharp; ${count} images × ${rounds} rounds, concurrency ${concurrency}`,
  );
  const rig = await pipelineRig({ deleteOriginal: false });
  await rig.prepare(0, count * rounds + 2 * concurrency);
  let used = 0;
  await measure('warm-up', bareSharp, { concurrency, count: 2 * concurrency });
  await measure('warm-up', (i) => rig.run(i), { concurrency, count: 2 * concurrency });
  used = 2 * concurrency;
  const perRound: { bare: Measurement; pipeline: Measurement }[] = [];
  for (let r = 0; r < rounds; r++) {
    const base = used;
    const runPipeline = () => measure('pipeline', (i) => rig.run(base + i), { concurrency, count });
    const runBare = () => measure('bare', bareSharp, { concurrency, count });
    const [first, second] =
      r % 2 === 0 ? [await runBare(), await runPipeline()] : [await runPipeline(), await runBare()];
    used += count;
    const bare = first.label === 'bare' ? first : second;
    const pipeline = first.label === 'pipeline' ? first : second;
    perRound.push({ bare, pipeline });
    console.log(
      `round ${r + 1}: bare ${bare.throughput.toFixed(1)} img/s p50 ${bare.latencyMs.p50.toFixed(0)} ms | pipeline ${pipeline.throughput.toFixed(1)} img/s p50 ${pipeline.latencyMs.p50.toFixed(0)} ms`,
    );
  }
  rig.close();
  const ratio = median(perRound.map((r) => r.pipeline.throughput / r.bare.throughput));
  const added = median(perRound.map((r) => r.pipeline.latencyMs.p50 - r.bare.latencyMs.p50));
  const memory = values['no-memory'] ? null : await inChild(Number(values['memory-count']), concurrency);
  console.log(
    `throughput ratio pipeline/bare: ${ratio.toFixed(2)}× (target ≥ 0.8×); added p50 latency ${added.toFixed(1)} ms (target ≤ 30 ms)`,
  );
  if (memory)
    console.log(
      `RSS after 50 → ${memory.count} images: ${memory.rssMbAfter50} → ${memory.rssMbAtEnd} MB = ${memory.ratio}× (target ≤ 1.5×)`,
    );
  console.log(
    JSON.stringify({
      benchmark: 'pipeline',
      command: `npx tsx bench/pipeline.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? null,
        node: process.version,
        libvips: sharp.versions.vips,
      },
      count,
      rounds,
      concurrency,
      bare: {
        throughput: median(perRound.map((r) => r.bare.throughput)),
        p50Ms: median(perRound.map((r) => r.bare.latencyMs.p50)),
      },
      pipeline: {
        throughput: median(perRound.map((r) => r.pipeline.throughput)),
        p50Ms: median(perRound.map((r) => r.pipeline.latencyMs.p50)),
      },
      throughputRatio: ratio,
      addedLatencyP50Ms: added,
      memory,
    }),
  );
  process.exit(0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();

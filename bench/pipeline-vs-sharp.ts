/**
 * Benchmark for QUALITY.md rows "thumbnail pipeline throughput", "added latency per image"
 * and "memory: RSS after 1,000 thumbnails vs after 50".
 *
 * (a) a bare sharp script: for each default size, sharp(bytes).rotate().resize(fit inside,
 *     never enlarged).jpeg(quality) — three pipelines per image, run together;
 * (b) SharpImageProcessor: inspect(first 64 KiB, with the file size) then render(bytes).
 * Both at the same concurrency (default: the number of cores), on the 2725x2225 photo,
 * alternating (a)(b), (b)(a)… over several rounds, reporting medians over rounds: the
 * machine is shared and noisy, so only figures measured side by side are compared.
 * Memory runs (b) alone in a fresh process, so the first 50 images are not measured on a
 * heap and libvips cache already grown by the rounds.
 *
 *   npx tsx bench/pipeline-vs-sharp.ts [--count=100] [--rounds=5] [--concurrency=2]
 *     [--memory-count=1000] [--no-memory]
 *
 * Prints a table; the last line of stdout is the figures as JSON, for BENCHMARKS.md.
 * `measure` is the reusable harness (the full pipeline with storage will use it too).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { SharpImageProcessor } from '../shared/src/adapters/sharp/sharp-image-processor.ts';
import type { VariantSpec } from '../shared/src/domain/image.ts';

export interface MeasureOptions {
  /** Items in flight at once. */
  concurrency: number;
  /** Items in all. */
  count: number;
}

export interface Measurement {
  label: string;
  count: number;
  concurrency: number;
  wallMs: number;
  /** Items per second over the whole run. */
  throughput: number;
  latencyMs: { p50: number; p90: number; max: number };
  /** Process CPU (all threads, libvips included) per item: steadier than wall time. */
  cpuMsPerItem: number;
  /** Resident set size when the run ended. */
  rssBytes: number;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs `work(0 … count-1)` with `concurrency` items in flight and times each item. */
export async function measure(
  label: string,
  work: (index: number) => Promise<unknown>,
  { concurrency, count }: MeasureOptions,
): Promise<Measurement> {
  const latencies: number[] = [];
  let next = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const worker = async (): Promise<void> => {
    for (let index = next++; index < count; index = next++) {
      const t0 = performance.now();
      await work(index);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  latencies.sort((a, b) => a - b);
  return {
    label,
    count,
    concurrency,
    wallMs,
    throughput: count / (wallMs / 1000),
    latencyMs: { p50: quantile(latencies, 0.5), p90: quantile(latencies, 0.9), max: latencies.at(-1) ?? 0 },
    cpuMsPerItem: (cpu.user + cpu.system) / 1000 / count,
    rssBytes: process.memoryUsage.rss(),
  };
}

const FIXTURES = join(import.meta.dirname, '..', '..', 'shared', 'fixtures', 'images');
const PHOTO = '2569067123_aca715a2ee_o.jpg';
/** What the pipeline reads first from Cloud Storage before deciding to fetch the rest. */
const HEAD_BYTES = 64 * 1024;
const MAX_PIXELS = 100_000_000;
const VARIANTS: readonly VariantSpec[] = [
  { name: 'thumb', width: 200, height: 200, format: 'jpeg', quality: 80 },
  { name: 'small', width: 640, height: 640, format: 'jpeg', quality: 80 },
  { name: 'medium', width: 1280, height: 1280, format: 'jpeg', quality: 80 },
];
const MEMORY_CHECKPOINTS = [50, 100, 250, 500, 1000, 2000, 5000];
const MB = 1024 * 1024;

const input = readFileSync(join(FIXTURES, PHOTO));
const processor = new SharpImageProcessor();

async function bareSharp(): Promise<void> {
  await Promise.all(
    VARIANTS.map((v) =>
      sharp(input)
        .rotate()
        .resize(v.width, v.height, { fit: 'inside', withoutEnlargement: true })
        .jpeg({ quality: v.quality })
        .toBuffer(),
    ),
  );
}

async function adapter(): Promise<void> {
  const header = await processor.inspect(input.subarray(0, HEAD_BYTES), MAX_PIXELS, input.length);
  if (header === null) throw new Error(`the header of ${PHOTO} is not within ${HEAD_BYTES} bytes`);
  await processor.render(input, VARIANTS, MAX_PIXELS);
}

interface MemoryFigures {
  count: number;
  rssMbAfter: Record<string, number>;
  rssMbAfter50: number;
  rssMbAtEnd: number;
  /** RSS at the end over RSS after 50 images (target ≤ 1.5). */
  ratio: number;
}

/** In the child process: (b) alone, RSS read at each checkpoint. */
async function memoryRun(count: number, concurrency: number): Promise<MemoryFigures> {
  const rssMbAfter: Record<string, number> = {};
  let done = 0;
  for (const checkpoint of [...MEMORY_CHECKPOINTS.filter((c) => c < count), count]) {
    await measure('adapter', adapter, { concurrency, count: checkpoint - done });
    done = checkpoint;
    rssMbAfter[checkpoint] = Math.round((process.memoryUsage.rss() / MB) * 10) / 10;
  }
  const rssMbAfter50 = rssMbAfter[50] ?? Number.NaN;
  const rssMbAtEnd = rssMbAfter[count]!;
  return {
    count,
    rssMbAfter,
    rssMbAfter50,
    rssMbAtEnd,
    ratio: Math.round((rssMbAtEnd / rssMbAfter50) * 100) / 100,
  };
}

/** Same interpreter and loader (tsx), fresh process; the figures are its last stdout line. */
function memoryInChild(count: number, concurrency: number): Promise<MemoryFigures> {
  const script = fileURLToPath(import.meta.url);
  const args = [...process.execArgv, script, '--memory-child', `--memory-count=${count}`];
  args.push(`--concurrency=${concurrency}`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`memory run exited with ${code}`));
      else resolvePromise(JSON.parse(last) as MemoryFigures);
    });
  });
}

const fmt = (value: number, digits = 1): string => value.toFixed(digits);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '100' },
      rounds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: String(availableParallelism()) },
      'memory-count': { type: 'string', default: '1000' },
      'no-memory': { type: 'boolean', default: false },
      'memory-child': { type: 'boolean', default: false },
    },
  });
  const count = Number(values.count);
  const rounds = Number(values.rounds);
  const concurrency = Number(values.concurrency);
  const memoryCount = Number(values['memory-count']);

  if (values['memory-child']) {
    console.log(JSON.stringify(await memoryRun(memoryCount, concurrency)));
    return;
  }

  console.log(
    `${PHOTO} (${input.length} bytes) → ${VARIANTS.map((v) => `${v.name} ${v.width}x${v.height} ${v.format} q${v.quality}`).join(', ')}`,
  );
  console.log(
    `${count} images per run, ${rounds} rounds, concurrency ${concurrency}; ${cpus().length} × ${cpus()[0]?.model ?? '?'}; ` +
      `node ${process.version}, sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, ` +
      `sharp.concurrency() ${sharp.concurrency()}, UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );

  // Loads libvips, the adapter's lazy import and every codec before anything is timed.
  await measure('warm-up', bareSharp, { concurrency, count: 2 * concurrency });
  await measure('warm-up', adapter, { concurrency, count: 2 * concurrency });

  const perRound: { bare: Measurement; adapter: Measurement; ratio: number; addedP50Ms: number }[] = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['bare', 'adapter'] as const) : (['adapter', 'bare'] as const);
    const results: Partial<Record<'bare' | 'adapter', Measurement>> = {};
    for (const which of order) {
      results[which] = await measure(which, which === 'bare' ? bareSharp : adapter, { concurrency, count });
    }
    const bare = results.bare!;
    const ours = results.adapter!;
    const row = {
      bare,
      adapter: ours,
      ratio: ours.throughput / bare.throughput,
      addedP50Ms: ours.latencyMs.p50 - bare.latencyMs.p50,
    };
    perRound.push(row);
    console.log(
      `round ${round + 1}: bare ${fmt(bare.throughput)} img/s p50 ${fmt(bare.latencyMs.p50)} ms | ` +
        `adapter ${fmt(ours.throughput)} img/s p50 ${fmt(ours.latencyMs.p50)} ms | ratio ${fmt(row.ratio, 2)}`,
    );
  }

  const summary = (pick: (r: (typeof perRound)[number]) => Measurement) => ({
    throughput: median(perRound.map((r) => pick(r).throughput)),
    p50Ms: median(perRound.map((r) => pick(r).latencyMs.p50)),
    p90Ms: median(perRound.map((r) => pick(r).latencyMs.p90)),
    cpuMsPerImage: median(perRound.map((r) => pick(r).cpuMsPerItem)),
  });
  const bare = summary((r) => r.bare);
  const ours = summary((r) => r.adapter);
  const ratio = median(perRound.map((r) => r.ratio));
  const addedP50Ms = median(perRound.map((r) => r.addedP50Ms));

  const memory = values['no-memory'] ? null : await memoryInChild(memoryCount, concurrency);

  const rows: [string, string, string, string][] = [
    ['figure', '(a) bare sharp', '(b) adapter', '(b)/(a) or (b)−(a)'],
    [
      'throughput, img/s (median)',
      fmt(bare.throughput),
      fmt(ours.throughput),
      `${fmt(ratio, 2)}×  (target ≥ 0.8×)`,
    ],
    ['latency p50, ms', fmt(bare.p50Ms), fmt(ours.p50Ms), `${fmt(addedP50Ms)} ms  (target ≤ 30 ms)`],
    ['latency p90, ms', fmt(bare.p90Ms), fmt(ours.p90Ms), ''],
    [
      'CPU per image, ms',
      fmt(bare.cpuMsPerImage),
      fmt(ours.cpuMsPerImage),
      `${fmt(ours.cpuMsPerImage / bare.cpuMsPerImage, 2)}×`,
    ],
  ];
  if (memory) {
    rows.push([
      `RSS after 50 → ${memory.count}, MB`,
      '',
      `${fmt(memory.rssMbAfter50)} → ${fmt(memory.rssMbAtEnd)}`,
      `${fmt(memory.ratio, 2)}×  (target ≤ 1.5×)`,
    ]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i as 0 | 1 | 2 | 3].length)));
  console.log('');
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  console.log('');

  console.log(
    JSON.stringify({
      benchmark: 'pipeline-vs-sharp',
      command: `npx tsx bench/pipeline-vs-sharp.ts ${process.argv.slice(2).join(' ')}`.trim(),
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model ?? null,
        node: process.version,
        sharp: sharp.versions.sharp,
        libvips: sharp.versions.vips,
        sharpConcurrency: sharp.concurrency(),
      },
      image: PHOTO,
      variants: VARIANTS,
      count,
      rounds,
      concurrency,
      bare,
      adapter: ours,
      throughputRatio: ratio,
      addedLatencyP50Ms: addedP50Ms,
      memory,
    }),
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}

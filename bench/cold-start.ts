/**
 * Cold start (QUALITY.md row 4): spawn → first successful response of each bundled HTTP
 * function, run as deployed (`functions-framework --target=<name> --source=dist/functions/
 * <name>/index.js`, an ES module by its package.json), against a functions-framework
 * hello-world (also an ES module, written to a temp dir) spawned the same way, side by side:
 * each round spawns the hello-world and the function back to back, alternating which goes
 * first, and the figure is the median over rounds of function / hello-world. Also each
 * bundle's size against the 2 MB budget (and that it holds no native module).
 *
 * No emulators: the request is one that answers without I/O — a CORS preflight (`OPTIONS`
 * with an `Origin`, answered 204 by the runtime before auth or any adapter) for every
 * function, `GET /v1/openapi.json` (200) for openapi. The hello-world answers 200 to any
 * request. "Ready" is the first response with a 2xx status; until then the port is polled
 * every 2 ms. Builds first (`buildAll`) when dist/functions is missing or older than the
 * sources. Prints a table and, as its last line, JSON figures.
 *
 *   npx tsx bench/cold-start.ts [--rounds 5] [--only health,tasksGet]
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildAll } from '../functions/scripts/build.ts';
import { MANIFEST } from '../functions/src/manifest.ts';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist', 'functions');
const FF_MAIN = join(root, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');
const BUDGET_BYTES = 2 * 1024 * 1024;
/** External packages that carry native code. */
const NATIVE_PACKAGES = ['sharp', 're2'];

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (v: number, d = 0) => v.toFixed(d);

/** Newest modification time (ms) of any file under `dir`. */
function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !e.parentPath.includes('node_modules'))
      t = Math.max(t, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return t;
}

/** Whether dist/functions lacks a function or is older than what it is built from. */
function stale(): boolean {
  const bundles = MANIFEST.map((s) => join(dist, s.name, 'index.js'));
  if (!bundles.every((b) => existsSync(b))) return true;
  const built = Math.min(...bundles.map((b) => statSync(b).mtimeMs));
  const sources = Math.max(
    newest(join(root, 'functions', 'src')),
    newest(join(root, 'shared', 'src')),
    statSync(join(root, 'functions', 'scripts', 'build.ts')).mtimeMs,
    statSync(join(root, 'package-lock.json')).mtimeMs,
  );
  return sources > built;
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

interface Probe {
  method: string;
  path: string;
  headers: Record<string, string>;
}

function once(port: number, probe: Probe): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: probe.method,
        path: probe.path,
        headers: probe.headers,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end();
  });
}

/** Spawns functions-framework on `source`; ms from spawn to the first 2xx answer to `probe`. */
async function coldStart(
  target: string,
  source: string,
  probe: Probe,
): Promise<{ ms: number; status: number }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOOGLE_CLOUD_PROJECT: 'demo-bench',
    NODE_ENV: 'production',
  };
  delete env.NODE_OPTIONS; // no tsx loader or anything else inherited from this process
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [FF_MAIN, `--target=${target}`, `--source=${source}`, `--port=${port}`],
    {
      cwd: root,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? -1;
  });
  try {
    let last = 0;
    while (performance.now() - t0 < 30_000) {
      if (exited !== null) throw new Error(`${target} exited with ${exited}: ${stderr.slice(-2000)}`);
      try {
        last = await once(port, probe);
        if (last >= 200 && last < 300) return { ms: performance.now() - t0, status: last };
        throw new Error(`${target} answered ${last} to ${probe.method} ${probe.path}`);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ECONNREFUSED') throw e;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    throw new Error(`${target}: no answer within 30 s (last status ${last})`);
  } finally {
    child.kill();
    if (exited === null) await new Promise((r) => child.once('exit', r));
  }
}

const HELLO = `import { http } from '@google-cloud/functions-framework';
http('hello', (req, res) => {
  res.status(200).json({ message: 'Hello, world' });
});
`;

/** The hello-world in a temp dir, an ES module importing the same functions-framework. */
async function helloWorld(): Promise<{ dir: string; source: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'taskman-bench-hello-'));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ type: 'module', main: 'index.js' })}\n`);
  await writeFile(join(dir, 'index.js'), HELLO);
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, source: join(dir, 'index.js') };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      only: { type: 'string' },
    },
  });
  const rounds = Number(values.rounds);
  const only = values.only?.split(',').map((s) => s.trim());

  let rebuilt = false;
  if (stale()) {
    console.log('dist/functions is missing or stale: building (npm run build) …');
    await buildAll();
    rebuilt = true;
  }
  const fns = MANIFEST.filter((s) => s.api && (!only || only.includes(s.name)));
  if (only && fns.length !== only.length)
    throw new Error(`--only names unknown HTTP functions: ${only.join(',')}`);
  const hello = await helloWorld();
  const probeOf = (name: string): Probe =>
    name === 'openapi'
      ? { method: 'GET', path: '/v1/openapi.json', headers: {} }
      : {
          method: 'OPTIONS',
          path: MANIFEST.find((s) => s.name === name)!.api!.path.replace(/\{[^}]+\}/g, 'x'),
          headers: { origin: 'https://app.example.com', 'access-control-request-method': 'GET' },
        };
  console.log(
    `cold start of ${fns.length} HTTP functions vs a functions-framework hello-world; ${rounds} rounds; ` +
      `${cpus().length} × ${cpus()[0]?.model ?? '?'}; node ${process.version}`,
  );
  // One unmeasured spawn of each kind warms the disk cache.
  await coldStart('hello', hello.source, probeOf('health'));

  const rows: {
    name: string;
    bytes: number;
    native: boolean;
    dependencies: string[];
    probe: string;
    status: number;
    ms: number;
    helloMs: number;
    ratio: number;
  }[] = [];
  try {
    for (const spec of fns) {
      const source = join(dist, spec.name, 'index.js');
      const probe = probeOf(spec.name);
      await coldStart(spec.name, source, probe);
      const ours: number[] = [];
      const base: number[] = [];
      const ratios: number[] = [];
      let status = 0;
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['hello', 'ours'] as const) : (['ours', 'hello'] as const);
        const r: Partial<Record<'hello' | 'ours', number>> = {};
        for (const w of order) {
          const res = await coldStart(
            w === 'hello' ? 'hello' : spec.name,
            w === 'hello' ? hello.source : source,
            probe,
          );
          r[w] = res.ms;
          if (w === 'ours') status = res.status;
        }
        ours.push(r.ours!);
        base.push(r.hello!);
        ratios.push(r.ours! / r.hello!);
      }
      const bytes = statSync(source).size;
      const deps = Object.keys(
        (JSON.parse(readFileSync(join(dist, spec.name, 'package.json'), 'utf8')) as { dependencies?: object })
          .dependencies ?? {},
      );
      // A native module would be a `.node` file beside the bundle or a native package it needs.
      const native =
        readdirSync(join(dist, spec.name)).some((f) => f.endsWith('.node')) ||
        deps.some((d) => NATIVE_PACKAGES.includes(d));
      const row = {
        name: spec.name,
        bytes,
        native,
        dependencies: deps,
        probe: `${probe.method} ${probe.path}`,
        status,
        ms: median(ours),
        helloMs: median(base),
        ratio: median(ratios),
      };
      rows.push(row);
      console.log(
        `${row.name.padEnd(18)} ${fmt(row.ms).padStart(5)} ms vs hello ${fmt(row.helloMs).padStart(5)} ms  ` +
          `${fmt(row.ratio, 2)}×  ${fmt(bytes / 1024).padStart(5)} KiB  (${row.probe} → ${status})`,
      );
    }
  } finally {
    await rm(hello.dir, { recursive: true, force: true });
  }
  const worst = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const biggest = rows.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  console.log();
  console.log(
    `median over functions ${fmt(median(rows.map((r) => r.ratio)), 2)}×, worst ${worst.name} ${fmt(worst.ratio, 2)}× ` +
      `(target ≤ 1.5×); largest bundle ${biggest.name} ${fmt(biggest.bytes / 1024)} KiB (budget 2048 KiB); ` +
      `${rows.filter((r) => r.ratio > 1.5).length} over 1.5×, ${rows.filter((r) => r.bytes > BUDGET_BYTES || r.native).length} over budget or native`,
  );
  console.log(
    JSON.stringify({
      command: `npx tsx bench/cold-start.ts --rounds ${rounds}${only ? ` --only ${only.join(',')}` : ''}`,
      rounds,
      rebuilt,
      budgetBytes: BUDGET_BYTES,
      functions: rows,
      medianRatio: median(rows.map((r) => r.ratio)),
      worst: { name: worst.name, ratio: worst.ratio },
      largest: { name: biggest.name, bytes: biggest.bytes },
    }),
  );
}

await main();

/**
 * HTTP handler throughput (QUALITY.md row 3): `GET /v1/tasks/{id}` through the real
 * `tasksGet` entry (auth with a verified, cached token, strict validation, rate limiting,
 * logging, the in-memory repository) against a functions-framework hello-world returning
 * the same JSON. Each server runs in its own child process behind functions-framework's
 * own server (`getTestServer`, on 127.0.0.1:0); this process only drives load: a closed
 * loop of N keep-alive connections on node:http for a fixed time, alternating which server
 * goes first each round, ratios taken per round and medians over rounds.
 *
 * Logging: ours logs at `info` (the default level, one line per request) through the
 * project's pino logger into a synchronous pino destination on /dev/null, so formatting,
 * redaction and the write syscall are paid, as on stdout in the cloud. The rate limiter is
 * on, set to 1,000,000 a minute so the bench does not trip it (its cost is still paid).
 * Prints a table and, as its last line, JSON figures.
 *
 *   npx tsx bench/http-handler.ts [--rounds 5] [--seconds 3] [--connections 10]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const fmt = (v: number, d = 1) => v.toFixed(d);

type Which = 'ours' | 'hello';

/** What a server child prints once listening (its one stdout line). */
interface Ready {
  port: number;
  path: string;
  headers: Record<string, string>;
}

// ---------------------------------------------------------------- server children

/** The real tasksGet entry on in-memory adapters, with a member and a task seeded. */
async function serveOurs(): Promise<Ready> {
  process.env.GOOGLE_CLOUD_PROJECT ??= 'demo-bench';
  process.env.LOG_LEVEL = 'info';
  process.env.RATE_LIMIT_PER_MINUTE = '1000000';
  const pino = (await import('pino')).default;
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  const { createLogger, setLogger } = await import('../shared/src/logging/logger.ts');
  const { inProcessApi } = await import('../functions/src/testing/in-process.ts');
  const api = await inProcessApi(); // loads every entry, registers them with functions-framework
  const account = await api.member('bench');
  const created = await api.call('POST', '/v1/tasks', {
    token: account.token,
    body: { title: 'Benchmark task', description: 'Served by the tasksGet function.' },
  });
  if (created.status !== 201) throw new Error(`create task: ${created.status} ${created.text}`);
  const id = (created.body as { id: string }).id;
  // Seeded through the harness (its logger is silent); from here on, log as deployed.
  setLogger(
    createLogger({ level: 'info', destination: pino.destination({ dest: '/dev/null', sync: true }) }),
  );
  const server = getTestServer('tasksGet');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    path: `/v1/tasks/${id}`,
    headers: { authorization: `Bearer ${account.token}` },
  };
}

/** functions-framework's hello-world, answering with the JSON it is given. */
async function serveHello(json: string): Promise<Ready> {
  const body = JSON.parse(json) as unknown;
  const { http } = await import('@google-cloud/functions-framework');
  const { getTestServer } = await import('@google-cloud/functions-framework/testing');
  http('hello', (_req, res) => {
    res.status(200).json(body);
  });
  const server = getTestServer('hello');
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, path: '/', headers: {} };
}

interface Server {
  ready: Ready;
  child: ChildProcess;
}

function startChild(which: Which, body = ''): Promise<Server> {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--serve', which], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, BENCH_BODY: body, GOOGLE_CLOUD_PROJECT: 'demo-bench' },
  });
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line) ok({ ready: JSON.parse(line.slice(6)) as Ready, child });
    });
    child.on('exit', (code) => fail(new Error(`${which} server exited with ${code}`)));
  });
}

// ---------------------------------------------------------------- load client

interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** This (client) process's CPU time over wall time: near 1 means the client is the limit. */
  clientCpu: number;
}

function get(agent: Agent, ready: Ready): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      { host: '127.0.0.1', port: ready.port, path: ready.path, headers: ready.headers, agent },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end();
  });
}

/** A closed loop: `connections` workers, each sending its next request when the last answers. */
async function load(
  ready: Ready,
  connections: number,
  seconds: number,
  maxRequests: number,
): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end && latencies.length + errors < maxRequests) {
      const s = performance.now();
      try {
        const r = await get(agent, ready);
        if (r.status === 200) latencies.push(performance.now() - s);
        else errors++;
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    rps: (latencies.length / wall) * 1000,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    clientCpu: (cpu.user + cpu.system) / 1000 / wall,
  };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      rounds: { type: 'string', default: '5' },
      seconds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '10' },
      'max-requests': { type: 'string', default: '500000' },
    },
  });
  if (values.serve) {
    const ready =
      values.serve === 'ours' ? await serveOurs() : await serveHello(process.env.BENCH_BODY ?? '{}');
    console.log(`READY ${JSON.stringify(ready)}`);
    return;
  }
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  const connections = Number(values.connections);
  const maxRequests = Number(values['max-requests']);

  const ours = await startChild('ours');
  const servers: Partial<Record<Which, Server>> = { ours };
  try {
    // The hello-world answers with exactly the JSON ours answers.
    const first = await get(new Agent(), ours.ready);
    if (first.status !== 200) throw new Error(`tasksGet answered ${first.status}: ${first.body}`);
    servers.hello = await startChild('hello', first.body);
    const check = await get(new Agent(), servers.hello.ready);
    if (check.body !== first.body) throw new Error('hello-world does not answer the same JSON');
    console.log(
      `GET /v1/tasks/{id} (${first.body.length} bytes of JSON) vs hello-world; ${connections} keep-alive connections, ` +
        `${seconds} s per run, ${rounds} rounds; ${cpus().length} × ${cpus()[0]?.model ?? '?'}; node ${process.version}`,
    );
    // Warm both (JIT, token cache, agent) before anything is timed.
    for (const w of ['ours', 'hello'] as const) await load(servers[w]!.ready, connections, 1, maxRequests);

    const perRound: { ours: LoadResult; hello: LoadResult; ratio: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const order: Which[] = round % 2 === 0 ? ['hello', 'ours'] : ['ours', 'hello'];
      const r: Partial<Record<Which, LoadResult>> = {};
      for (const w of order) r[w] = await load(servers[w]!.ready, connections, seconds, maxRequests);
      const row = { ours: r.ours!, hello: r.hello!, ratio: r.ours!.rps / r.hello!.rps };
      perRound.push(row);
      console.log(
        `round ${round + 1}: hello ${fmt(row.hello.rps, 0)} req/s p50 ${fmt(row.hello.p50Ms, 2)} p99 ${fmt(row.hello.p99Ms, 2)} ms | ` +
          `ours ${fmt(row.ours.rps, 0)} req/s p50 ${fmt(row.ours.p50Ms, 2)} p99 ${fmt(row.ours.p99Ms, 2)} ms | ratio ${fmt(row.ratio, 2)}`,
      );
    }
    const summary = (w: Which) => ({
      rps: median(perRound.map((r) => r[w].rps)),
      p50Ms: median(perRound.map((r) => r[w].p50Ms)),
      p99Ms: median(perRound.map((r) => r[w].p99Ms)),
      errors: perRound.reduce((n, r) => n + r[w].errors, 0),
      clientCpu: median(perRound.map((r) => r[w].clientCpu)),
    });
    const hello = summary('hello');
    const our = summary('ours');
    const ratio = median(perRound.map((r) => r.ratio));
    const rows: string[][] = [
      ['figure', '(a) hello-world', '(b) tasksGet', '(b)/(a)'],
      [
        'throughput, req/s (median)',
        fmt(hello.rps, 0),
        fmt(our.rps, 0),
        `${fmt(ratio, 2)}×  (target ≥ 0.6×)`,
      ],
      ['latency p50, ms', fmt(hello.p50Ms, 2), fmt(our.p50Ms, 2), fmt(our.p50Ms / hello.p50Ms, 2)],
      ['latency p99, ms', fmt(hello.p99Ms, 2), fmt(our.p99Ms, 2), fmt(our.p99Ms / hello.p99Ms, 2)],
      ['errors (non-200 or failed)', String(hello.errors), String(our.errors), ''],
      ['load client CPU / wall', fmt(hello.clientCpu, 2), fmt(our.clientCpu, 2), ''],
    ];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log();
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    console.log(
      JSON.stringify({
        command: `npx tsx bench/http-handler.ts --rounds ${rounds} --seconds ${seconds} --connections ${connections}`,
        rounds,
        seconds,
        connections,
        bodyBytes: first.body.length,
        logging: 'info level, pino sync destination on /dev/null',
        hello,
        ours: our,
        throughputRatio: ratio,
      }),
    );
  } finally {
    for (const s of Object.values(servers)) s?.child.kill();
  }
}

await main();

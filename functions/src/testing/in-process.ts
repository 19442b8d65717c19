/**
 * Component-test harness: loads function entries in this process on in-memory adapters
 * and sends them real HTTP through functions-framework's own server, so the framework's
 * body parsing and our runtime are exercised exactly as deployed.
 */
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createLogger, setLogger } from '@taskman/shared/logging/logger';
import { setAppDeps } from '@taskman/shared/runtime/deps';
import { matchPath } from '@taskman/shared/runtime/http-contract';
import { type MemoryDeps, memoryDeps } from '@taskman/shared/runtime/memory-deps';
import { MANIFEST } from '../manifest.ts';

export interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON fields
  json: any;
}

export interface InProcessApi {
  deps: MemoryDeps;
  call(
    method: string,
    path: string,
    options?: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> },
  ): Promise<Reply>;
  /** Registers and signs in a member, returning their token and uid. */
  member(name: string): Promise<{ token: string; uid: string }>;
  admin(): Promise<{ token: string; uid: string }>;
  close(): Promise<void>;
}

let loaded = false;

export async function inProcessApi(): Promise<InProcessApi> {
  process.env.GOOGLE_CLOUD_PROJECT ??= 'demo-taskman';
  process.env.LOG_LEVEL ??= 'silent';
  setLogger(createLogger({ level: 'silent' }));
  const deps = memoryDeps(new Date());
  deps.clock = { now: () => new Date() };
  setAppDeps(deps);
  if (!loaded) {
    for (const spec of MANIFEST)
      await import(/* @vite-ignore */ new URL(`../${spec.entry}.ts`, import.meta.url).href);
    loaded = true;
  }
  const servers = new Map<string, ReturnType<typeof getTestServer>>();
  const http = MANIFEST.filter((s) => s.api);
  const { createServer } = await import('node:http');
  const gateway = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const spec =
      http.find((s) => s.api!.method === req.method && matchPath(s.api!.path, path)) ??
      http.find((s) => matchPath(s.api!.path, path));
    if (!spec) {
      res.writeHead(404).end();
      return;
    }
    let server = servers.get(spec.name);
    if (!server) {
      server = getTestServer(spec.name);
      servers.set(spec.name, server);
    }
    server.emit('request', req, res);
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;

  const call: InProcessApi['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed, json: parsed };
  };

  let n = 0;
  const member = async (name: string) => {
    const email = `${name}-${++n}-${Date.now()}@example.com`;
    const r = await call('POST', '/v1/auth/register', {
      body: { email, password: 'password-123', displayName: name },
    });
    if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
    return { token: r.json.idToken as string, uid: r.json.user.id as string };
  };
  const admin = async () => {
    const { seedAdmin } = await import('@taskman/shared/users/seed-admin');
    await seedAdmin({ email: 'admin@example.com', password: 'admin-password', displayName: 'Admin' }, deps);
    const r = await call('POST', '/v1/auth/login', {
      body: { email: 'admin@example.com', password: 'admin-password' },
    });
    return { token: r.json.idToken as string, uid: r.json.user.id as string };
  };
  return {
    deps,
    call,
    member,
    admin,
    close: () => new Promise<void>((r) => gateway.close(() => r())),
  };
}

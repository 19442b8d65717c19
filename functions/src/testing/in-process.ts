/**
 * Component-test harness: loads function entries in this process on in-memory adapters
 * and sends them real HTTP through functions-framework's own server, so the framework's
 * body parsing and our runtime are exercised exactly as deployed. A small gateway routes
 * `METHOD /v1/path` to the function, as the dev host and API Gateway do. It satisfies the
 * API suites' `ApiClient`, so the same suites run here and against the local stack.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createLogger, setLogger } from '@taskman/shared/logging/logger';
import { setAppDeps } from '@taskman/shared/runtime/deps';
import { matchPath } from '@taskman/shared/runtime/http-contract';
import { type MemoryDeps, memoryDeps } from '@taskman/shared/runtime/memory-deps';
import { seedAdmin } from '@taskman/shared/users/seed-admin';
import {
  type Account,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  type ApiClient,
  httpApiClient,
  loginAccount,
} from '../api-tests/client.ts';
import { MANIFEST } from '../manifest.ts';

export type { Reply } from '../api-tests/client.ts';

export interface InProcessApi extends ApiClient {
  deps: MemoryDeps;
  /** Registers and signs in a member with a unique email. */
  member(name: string): Promise<Account>;
  /** Seeds `admin@example.com` (idempotent) and signs it in. */
  admin(): Promise<Account>;
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
  const gateway = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const spec =
      http.find((s) => s.api!.method === req.method && matchPath(s.api!.path, path)) ??
      http.find((s) => matchPath(s.api!.path, path));
    if (!spec) {
      // No function owns the path: answer as the runtime would, with the error body.
      const requestId = randomUUID();
      const body = JSON.stringify({
        error: { code: 'ROUTE.NOT_FOUND', message: 'No such route.', requestId },
      });
      req.resume();
      res
        .writeHead(404, {
          'Content-Type': 'application/json; charset=utf-8',
          'X-Request-Id': requestId,
        })
        .end(body);
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
  const client = httpApiClient(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}`);

  return {
    deps,
    call: client.call,
    member: client.member,
    admin: async () => {
      await seedAdmin({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD, displayName: 'Admin' }, deps);
      return loginAccount(client.call, ADMIN_EMAIL, ADMIN_PASSWORD);
    },
    close: async () => {
      client.close();
      await new Promise<void>((r) => gateway.close(() => r()));
    },
  };
}

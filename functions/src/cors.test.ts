/**
 * Browsers on CORS_ORIGINS can call every operation through the gateway. API Gateway routes
 * a preflight (OPTIONS) only where its document has an `options` operation, to that
 * operation's backend; a path spans several functions, so for every path and every method
 * of it, the function the gateway routes the preflight to must allow that method. The
 * preflight is answered by the real runtime (`httpFunction`) of that function's contract.
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { resetConfig } from '@taskman/shared/config/config';
import type { HttpContract } from '@taskman/shared/runtime/http-contract';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayDocument } from '../scripts/export-openapi.ts';
import { API } from './manifest.ts';

const ORIGIN = 'https://taskman.example.com';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

type Operation = Record<string, unknown>;

/** The runtime's answer to a preflight of `path` from `origin`, asking for `method`. */
async function preflight(
  contract: HttpContract,
  path: string,
  method: string,
  origin: string,
): Promise<{ status: number; headers: Record<string, string> }> {
  const headers: Record<string, string> = {
    origin,
    'access-control-request-method': method.toUpperCase(),
    'access-control-request-headers': 'authorization, content-type',
  };
  const req = {
    method: 'OPTIONS',
    path,
    url: path,
    query: {},
    headers,
    get: (name: string) => headers[name.toLowerCase()],
    header: (name: string) => headers[name.toLowerCase()],
  } as unknown as Request;
  const answer = { status: 0, headers: {} as Record<string, string> };
  const res = {
    setHeader: (k: string, v: string) => {
      answer.headers[k.toLowerCase()] = String(v);
    },
    status(code: number) {
      answer.status = code;
      return this;
    },
    end: () => undefined,
  } as unknown as Response;
  await httpFunction(contract, async () => {
    throw new Error('a preflight never reaches the handler');
  })(req, res);
  return answer;
}

const concrete = (template: string) => template.replace(/\{([^}]+)\}/g, (_, p: string) => `${p}1`);

describe('CORS preflight through the gateway', () => {
  const saved = {
    CORS_ORIGINS: process.env.CORS_ORIGINS,
    GOOGLE_CLOUD_PROJECT: process.env.GOOGLE_CLOUD_PROJECT,
  };
  beforeAll(() => {
    process.env.CORS_ORIGINS = ORIGIN;
    process.env.GOOGLE_CLOUD_PROJECT ??= 'taskman-test';
    resetConfig();
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    resetConfig();
  });

  const doc = gatewayDocument();
  const paths = doc.paths as Record<string, Record<string, Operation>>;
  const contracts = API as unknown as Record<string, HttpContract>;

  it('routes a preflight on every path, to a function of that path', () => {
    for (const [path, item] of Object.entries(paths)) {
      const options = item.options;
      expect(
        options,
        `${path} has no options operation: the gateway would refuse its preflight`,
      ).toBeDefined();
      const backend = options?.['x-google-backend'] as string;
      expect(contracts[backend]?.path, path).toBe(path);
    }
  });

  it('answers, for every path and every method of it, with that method allowed for CORS_ORIGINS', async () => {
    const missing: string[] = [];
    for (const [path, item] of Object.entries(paths)) {
      const contract = contracts[item.options?.['x-google-backend'] as string] as HttpContract;
      for (const method of Object.keys(item).filter((m) => METHODS.includes(m))) {
        const { status, headers } = await preflight(contract, concrete(path), method, ORIGIN);
        const allowed = (headers['access-control-allow-methods'] ?? '').split(/,\s*/);
        if (
          status !== 204 ||
          headers['access-control-allow-origin'] !== ORIGIN ||
          !allowed.includes(method.toUpperCase())
        ) {
          missing.push(
            `${method.toUpperCase()} ${path} (preflight to ${contract.name}: ${status}, ${allowed.join(' ')})`,
          );
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('allows no other origin', async () => {
    const { headers } = await preflight(API.tasksGet, '/v1/tasks/t1', 'patch', 'https://evil.example.com');
    expect(headers['access-control-allow-origin']).toBeUndefined();
  });

  it('fails on the runtime before the fix: a function allowed only its own method', async () => {
    const before = { ...API.tasksGet, pathMethods: undefined };
    const { headers } = await preflight(before, '/v1/tasks/t1', 'patch', ORIGIN);
    expect(headers['access-control-allow-methods']).toBe('GET, OPTIONS');
    expect(API.tasksGet.pathMethods).toEqual(['GET', 'PATCH', 'DELETE']);
  });
});

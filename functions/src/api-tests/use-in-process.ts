/**
 * Runner glue for the unit project: one in-process harness per test file (functions on
 * in-memory adapters behind a local gateway), started before and closed after the file.
 */
import { afterAll, beforeAll } from 'vitest';
import { type InProcessApi, inProcessApi } from '../testing/in-process.ts';
import type { ApiClient } from './client.ts';

/** Registers the harness hooks and returns the client factory a suite takes. */
export function useInProcessApi(): () => ApiClient {
  let api: InProcessApi | undefined;
  beforeAll(async () => {
    api = await inProcessApi();
  });
  afterAll(async () => {
    await api?.close();
  });
  return () => {
    if (!api) throw new Error('the in-process API is not started yet');
    return api;
  };
}

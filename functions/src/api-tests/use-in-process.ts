/**
 * Runner glue for the unit project: one in-process harness per test file (functions on
 * in-memory adapters behind a local gateway, the storage trigger wired to the memory
 * store), started before and closed after the file.
 */
import { afterAll, beforeAll } from 'vitest';
import { type InProcessApi, inProcessApi } from '../testing/in-process.ts';

/** Registers the harness hooks and returns the client factory a suite takes. */
export function useInProcessApi(): () => InProcessApi {
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

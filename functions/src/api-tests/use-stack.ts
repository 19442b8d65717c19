/**
 * Runner glue for the integration project: the local stack started by the globalSetup
 * (`dev/src/test-stack.ts`, which declares the injected values), reached over HTTP.
 */
import { afterAll, inject } from 'vitest';
import { type ApiClient, httpApiClient } from './client.ts';

/** The stack's origin: `inject('apiUrl')` with or without its trailing `/v1`. */
export function stackOrigin(): string {
  return inject('apiUrl').replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** Returns the client factory a suite takes, speaking HTTP to the local stack. */
export function useStackApi(): () => ApiClient {
  const client = httpApiClient(stackOrigin());
  afterAll(() => client.close());
  return () => client;
}

/**
 * The local stack end to end (emulators, dev host child, topology, seed), through the
 * addresses the globalSetup (test-stack.ts) provides.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PubSub } from '@google-cloud/pubsub';
import { MANIFEST } from '@taskman/functions/manifest';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Delivery } from './dev-host.ts';

const apiUrl = inject('apiUrl');
const origin = new URL(apiUrl).origin;

const scheduled = MANIFEST.find((s) => s.trigger.kind === 'pubsub' && s.trigger.schedule !== undefined);
const scheduledWritten =
  scheduled !== undefined &&
  existsSync(fileURLToPath(new URL(`../../functions/src/${scheduled.entry}.ts`, import.meta.url)));

async function deliveries(): Promise<Delivery[]> {
  const res = await fetch(`${origin}/_dev/events`);
  return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
}

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Nothing within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('local stack', () => {
  it('answers GET /v1/health with 200 and every check ok', async () => {
    const res = await fetch(`${apiUrl}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('ok');
    for (const check of Object.values(body.checks)) expect(check).toBe('ok');
  });

  it('answers an unknown route with 404 and the API error body', async () => {
    const res = await fetch(`${apiUrl}/no-such-route`);
    expect(res.status).toBe(404);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    expect(await res.json()).toEqual({
      error: { code: 'ROUTE.NOT_FOUND', message: 'No route for GET /v1/no-such-route.', requestId },
    });
  });

  it('has seeded the admin account', async () => {
    const res = await fetch(`${apiUrl}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', password: 'admin-password' }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { role: string } }).user.role).toBe('admin');
  });

  describe.skipIf(!scheduledWritten)(`scheduled function ${scheduled?.name ?? '(none)'}`, () => {
    const pubsub = new PubSub({
      projectId: inject('projectId'),
      apiEndpoint: inject('pubsubHost'),
      emulatorMode: true,
    });
    afterAll(() => pubsub.close());
    const topic = scheduled?.trigger.kind === 'pubsub' ? scheduled.trigger.topic : '';

    it('receives a message published to its topic, through the push subscription', async () => {
      const messageId = await pubsub.topic(topic).publishMessage({ json: { from: 'dev-host.int.test' } });
      const delivery = await eventually(
        async () => (await deliveries()).find((d) => d.messageId === messageId),
        20_000,
      );
      expect(delivery).toMatchObject({ function: scheduled?.name, topic, status: 204 });
    });

    it('is ticked by the dev host, standing in for Cloud Scheduler', async () => {
      const since = new Date().toISOString();
      const tick = await eventually(
        async () => (await deliveries()).find((d) => d.function === scheduled?.name && d.at > since),
        20_000,
      );
      expect(tick.status).toBeLessThan(300);
    });
  });
});

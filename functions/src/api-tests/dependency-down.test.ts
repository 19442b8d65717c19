/**
 * A dependency that is down gets a clear 5xx with the error body (and a log line), and no
 * data is lost or half written: in-process, where each adapter can be switched off.
 */
import { OUTBOX, relayOutbox } from '@taskman/shared/application/outbox';
import { afterEach, describe, expect, it } from 'vitest';
import { expectError } from './expectations.ts';
import { useInProcessApi } from './use-in-process.ts';

const client = useInProcessApi();

describe('dependencies down', () => {
  afterEach(() => {
    const { deps } = client();
    deps.store.down = false;
    deps.publisher.down = false;
    deps.blobs.down = false;
    deps.identity.down = false;
  });

  it.each([
    ['store', 'firestore'],
    ['publisher', 'pubsub'],
    ['blobs', 'storage'],
  ] as const)('health answers 503 naming %s (%s) when it is down', async (adapter, check) => {
    const api = client();
    api.deps[adapter].down = true;
    const r = await api.call('GET', '/v1/health');
    const body = expectError(r, 503, 'DEPENDENCY.UNAVAILABLE');
    expect(body.message).toContain(check);
    expect((body.details as { checks: Record<string, string> }).checks[check]).toBe('unavailable');
  });

  it('a write while the database is down is a 503 and creates nothing', async () => {
    const api = client();
    const alice = await api.member('alice');
    api.deps.store.down = true;
    const r = await api.call('POST', '/v1/tasks', { token: alice.token, body: { title: 'lost?' } });
    expectError(r, 503, 'DEPENDENCY.UNAVAILABLE');
    api.deps.store.down = false;
    const list = await api.call('GET', '/v1/tasks', { token: alice.token });
    expect(list.json.items).toEqual([]);
  });

  it('a write while Pub/Sub is down succeeds and its event is published later by the relay', async () => {
    const api = client();
    const alice = await api.member('alice');
    api.deps.publisher.down = true;
    const r = await api.call('POST', '/v1/tasks', { token: alice.token, body: { title: 'kept' } });
    expect(r.status).toBe(201);
    const pending = api.deps.store
      .dump(OUTBOX)
      .filter(
        (d) =>
          (d.data.envelope as { data: { task: { id: string } } } | undefined)?.data.task.id === r.json.id,
      );
    expect(pending).toHaveLength(1);
    api.deps.publisher.down = false;
    await relayOutbox(api.deps, { minAgeMs: 0, leaseMs: 60_000, batchSize: 100 });
    expect(
      api.deps.publisher.published.some(
        (p) =>
          p.envelope.eventType === 'task.created' &&
          (p.envelope.data.task as { id: string }).id === r.json.id,
      ),
    ).toBe(true);
  });

  it('sign-in while the identity service is down is a 503, not a 401', async () => {
    const api = client();
    api.deps.identity.down = true;
    const r = await api.call('POST', '/v1/auth/login', {
      body: { email: 'a@example.com', password: 'whatever-123' },
    });
    expectError(r, 503, 'DEPENDENCY.UNAVAILABLE');
  });
});

/** Idempotency keys: replay, conflict, expiry, and one creation under a race. */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../domain/common.schema.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { TASKS } from '../stores/task-store.ts';
import { createTask } from '../tasks/create-task.ts';
import { memoryDeps } from '../testing/memory-deps.ts';
import { fingerprintOf } from './idempotency.ts';

setLogger(createLogger({ level: 'silent' }));
const alice: Principal = { uid: 'alice', email: undefined, role: 'member' };
const origin = { actorId: 'alice', correlationId: 'c' };
const keyed = (key: string, body: { title: string }) => ({
  actor: alice,
  origin,
  body,
  idempotency: { scope: 'alice tasksCreate', key, fingerprint: fingerprintOf('POST', '/v1/tasks', body) },
});

describe('idempotency keys', () => {
  it('the same key and body replay the first result and create nothing new', async () => {
    const deps = memoryDeps();
    const first = await createTask(keyed('k1', { title: 'a' }), deps);
    const again = await createTask(keyed('k1', { title: 'a' }), deps);
    expect(again).toEqual({ task: first.task, replayed: true });
    expect(deps.store.dump(TASKS)).toHaveLength(1);
    expect(deps.publisher.types()).toEqual(['task.created']);
  });
  it('the same key with another body is refused with 422', async () => {
    const deps = memoryDeps();
    await createTask(keyed('k1', { title: 'a' }), deps);
    await expect(createTask(keyed('k1', { title: 'b' }), deps)).rejects.toMatchObject({
      code: 'IDEMPOTENCY.KEY_REUSED',
      status: 422,
    });
  });
  it('a key expires after its time to live', async () => {
    const deps = memoryDeps();
    await createTask(keyed('k1', { title: 'a' }), deps);
    deps.advance(25 * 3_600_000);
    const later = await createTask(keyed('k1', { title: 'a' }), deps);
    expect(later.replayed).toBe(false);
    expect(deps.store.dump(TASKS)).toHaveLength(2);
  });
  it('racing requests with one key create one task', async () => {
    const deps = memoryDeps();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => createTask(keyed('race', { title: 'a' }), deps)),
    );
    expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
    expect(deps.store.dump(TASKS)).toHaveLength(1);
  });
});

/** The outbox loses no event when publishing fails after the commit, and relays each once. */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../domain/common.schema.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { createTask } from '../tasks/create-task.ts';
import { memoryDeps } from '../testing/memory-deps.ts';
import { OUTBOX, relayOutbox } from './outbox.ts';

setLogger(createLogger({ level: 'silent' }));
const alice: Principal = { uid: 'alice', email: 'alice@example.com', role: 'member' };
const origin = { actorId: 'alice', correlationId: 'corr-1' };

describe('transactional outbox', () => {
  it('publishes right after the commit and leaves nothing behind', async () => {
    const deps = memoryDeps();
    await createTask({ actor: alice, origin, body: { title: 'one' } }, deps);
    expect(deps.publisher.published.map((p) => [p.topic, p.envelope.eventType])).toEqual([
      ['task-events', 'task.created'],
    ]);
    expect(deps.publisher.published[0]?.attributes).toMatchObject({
      eventType: 'task.created',
      correlationId: 'corr-1',
    });
    expect(deps.store.dump(OUTBOX)).toEqual([]);
  });

  it('keeps the event when Pub/Sub is down at commit time, and the relay publishes it later, once', async () => {
    const deps = memoryDeps();
    deps.publisher.down = true;
    const { task } = await createTask({ actor: alice, origin, body: { title: 'survives' } }, deps);
    expect(deps.publisher.published).toEqual([]);
    expect(deps.store.dump(OUTBOX)).toHaveLength(1);

    deps.publisher.down = false;
    // Too young: the request that wrote it may still be publishing.
    expect(await relayOutbox(deps)).toEqual({ published: 0, failed: 0 });
    deps.advance(11_000);
    expect(await relayOutbox(deps)).toEqual({ published: 1, failed: 0 });
    expect(deps.publisher.published.map((p) => p.envelope.data.task)).toEqual([task]);
    expect(deps.store.dump(OUTBOX)).toEqual([]);
    expect(await relayOutbox(deps)).toEqual({ published: 0, failed: 0 });
  });

  it('a relay that dies holding a lease does not block the entry for ever', async () => {
    const deps = memoryDeps();
    deps.publisher.down = true;
    await createTask({ actor: alice, origin, body: { title: 'leased' } }, deps);
    deps.advance(11_000);
    expect(await relayOutbox(deps)).toEqual({ published: 0, failed: 1 });
    deps.publisher.down = false;
    // Still leased by the failed attempt.
    expect(await relayOutbox(deps)).toEqual({ published: 0, failed: 0 });
    deps.advance(61_000);
    expect(await relayOutbox(deps)).toEqual({ published: 1, failed: 0 });
  });

  it('a database outage fails the write with 503 and publishes nothing', async () => {
    const deps = memoryDeps();
    deps.store.down = true;
    await expect(createTask({ actor: alice, origin, body: { title: 'lost?' } }, deps)).rejects.toMatchObject({
      status: 503,
    });
    expect(deps.publisher.published).toEqual([]);
  });

  it('drains a backlog of 1,000 entries in one call, in parallel batches', async () => {
    const deps = memoryDeps();
    deps.publisher.down = true;
    for (let i = 0; i < 1_000; i++)
      await createTask({ actor: alice, origin, body: { title: `t${i}` } }, deps);
    expect(deps.store.dump(OUTBOX)).toHaveLength(1_000);
    deps.publisher.down = false;
    deps.advance(11_000);
    expect(await relayOutbox(deps)).toEqual({ published: 1_000, failed: 0 });
    expect(deps.store.dump(OUTBOX)).toEqual([]);
    expect(new Set(deps.publisher.published.map((p) => p.envelope.id)).size).toBe(1_000);
  });

  it('stops when its time is up, and when Pub/Sub is still down, leaving the rest for the next tick', async () => {
    const deps = memoryDeps();
    deps.publisher.down = true;
    for (let i = 0; i < 300; i++) await createTask({ actor: alice, origin, body: { title: `t${i}` } }, deps);
    deps.advance(11_000);
    // Still down: one batch is tried, not every entry again and again.
    const down = await relayOutbox(deps, { batchSize: 100 });
    expect(down).toEqual({ published: 0, failed: 100 });
    deps.publisher.down = false;
    deps.advance(61_000);
    // No time left: nothing is started (and nothing leased).
    expect(await relayOutbox(deps, { batchSize: 100, budgetMs: 0 })).toEqual({ published: 0, failed: 0 });
    expect(await relayOutbox(deps, { batchSize: 100 })).toEqual({ published: 300, failed: 0 });
    expect(deps.store.dump(OUTBOX)).toEqual([]);
  });
});

/**
 * Integration only: the events API calls cause arrive on Pub/Sub. Pull subscriptions on
 * `task-events` and `user-events` are made before acting; then a member registers and
 * creates, changes and deletes a task, each request with its own `X-Correlation-Id`, and
 * the envelopes (and their attributes) are checked against API.md.
 */
import { randomUUID } from 'node:crypto';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import type { EventEnvelope } from '@taskman/shared/domain/event.schema';
import { TaskSchema } from '@taskman/shared/domain/task.schema';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { type ApiClient, httpApiClient, MEMBER_PASSWORD, uniqueEmail } from './client.ts';
import { correlationId, expectOk, StrictAuthResult, StrictEnvelope, StrictTask } from './expectations.ts';
import { stackOrigin } from './use-stack.ts';

const WAIT_MS = 20_000;

interface Received {
  topic: string;
  envelope: EventEnvelope;
  attributes: Record<string, string>;
}

/** A pull subscription that keeps what arrives; `waitFor` resolves once `match` finds it. */
class Collector {
  readonly received: Received[] = [];
  private readonly waiters: (() => void)[] = [];

  constructor(
    readonly topic: string,
    readonly subscription: Subscription,
  ) {
    subscription.on('message', (m: Message) => {
      m.ack();
      this.received.push({
        topic,
        envelope: JSON.parse(m.data.toString('utf8')) as EventEnvelope,
        attributes: { ...m.attributes },
      });
      for (const wake of this.waiters.splice(0)) wake();
    });
    subscription.on('error', () => {});
  }

  async waitFor(match: (r: Received) => boolean, count = 1): Promise<Received[]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.received.filter(match);
      if (found.length >= count) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `${this.topic}: ${found.length} of ${count} expected events after ${WAIT_MS} ms; got ${JSON.stringify(
            this.received.map((r) => [r.envelope.eventType, r.envelope.correlationId]),
          )}`,
        );
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }
}

describe('events on Pub/Sub', () => {
  let api: ApiClient & { close(): void };
  let pubsub: PubSub;
  const collectors = new Map<'task-events' | 'user-events', Collector>();
  const collector = (topic: 'task-events' | 'user-events') => {
    const found = collectors.get(topic);
    if (!found) throw new Error(`no subscription on ${topic}`);
    return found;
  };

  beforeAll(async () => {
    api = httpApiClient(stackOrigin());
    process.env.PUBSUB_EMULATOR_HOST = inject('pubsubHost');
    const { PubSub } = await import('@google-cloud/pubsub');
    pubsub = new PubSub({ projectId: inject('projectId') });
    for (const topic of ['task-events', 'user-events'] as const) {
      const [subscription] = await pubsub
        .topic(topic)
        .createSubscription(`api-test-${topic}-${randomUUID()}`, {
          ackDeadlineSeconds: 10,
        });
      collectors.set(topic, new Collector(topic, subscription));
    }
  });

  afterAll(async () => {
    for (const c of collectors.values()) {
      await c.subscription.close().catch(() => {});
      await c.subscription.delete().catch(() => {});
    }
    await pubsub?.close();
    api?.close();
  });

  /** Checks what every envelope must be, and that its attributes agree with it. */
  function checkEnvelope(r: Received, eventType: string, sentCorrelationId: string, actorId: string) {
    const envelope = StrictEnvelope.parse(r.envelope);
    expect(envelope).toMatchObject({ eventType, version: 1, correlationId: sentCorrelationId, actorId });
    expect(envelope.serviceId.length).toBeGreaterThan(0);
    expect(Math.abs(Date.parse(envelope.timestamp) - Date.now())).toBeLessThan(5 * 60_000);
    expect(r.attributes.eventType).toBe(eventType);
    expect(r.attributes.correlationId).toBe(sentCorrelationId);
    return envelope;
  }

  it('register, create, patch and delete publish their events with the correlation id sent', async () => {
    const ids = {
      register: correlationId(),
      create: correlationId(),
      patch: correlationId(),
      delete: correlationId(),
    };
    const email = uniqueEmail('events');
    const registered = expectOk(
      await api.call('POST', '/v1/auth/register', {
        headers: { 'X-Correlation-Id': ids.register },
        body: { email, password: MEMBER_PASSWORD, displayName: 'Eve Events' },
      }),
      201,
      StrictAuthResult,
    );
    const uid = registered.user.id;
    const token = registered.idToken;
    const created = await api.call('POST', '/v1/tasks', {
      token,
      headers: { 'X-Correlation-Id': ids.create },
      body: { title: 'Evented', priority: 'LOW' },
    });
    expect(created.headers.get('x-correlation-id')).toBe(ids.create);
    const task = expectOk(created, 201, StrictTask);
    const patched = await api.call('PATCH', `/v1/tasks/${task.id}`, {
      token,
      headers: { 'X-Correlation-Id': ids.patch },
      body: { title: 'Evented again', priority: 'HIGH', description: '' },
    });
    const next = expectOk(patched, 200, StrictTask);
    const deleted = await api.call('DELETE', `/v1/tasks/${task.id}`, {
      token,
      headers: { 'X-Correlation-Id': ids.delete },
    });
    expect(deleted.status).toBe(204);

    const users = collector('user-events');
    const tasks = collector('task-events');
    const [reg] = await users.waitFor((r) => r.envelope.correlationId === ids.register);
    const registeredEvent = checkEnvelope(reg!, 'user.registered', ids.register, uid);
    expect(registeredEvent.data).toMatchObject({ userId: uid, email, displayName: 'Eve Events' });

    const [createdEvent] = await tasks.waitFor((r) => r.envelope.correlationId === ids.create);
    const c = checkEnvelope(createdEvent!, 'task.created', ids.create, uid);
    expect(TaskSchema.parse(c.data.task)).toEqual(task);

    const [updatedEvent] = await tasks.waitFor((r) => r.envelope.correlationId === ids.patch);
    const u = checkEnvelope(updatedEvent!, 'task.updated', ids.patch, uid);
    const data = z
      .object({
        task: TaskSchema,
        changedFields: z.array(z.string()),
        previous: z.record(z.string(), z.unknown()),
      })
      .parse(u.data);
    // description was sent unchanged, so only title and priority changed.
    expect([...data.changedFields].sort()).toEqual(['priority', 'title']);
    expect(data.previous).toEqual({ title: 'Evented', priority: 'LOW' });
    expect(data.task).toEqual(next);

    const [deletedEvent] = await tasks.waitFor((r) => r.envelope.correlationId === ids.delete);
    const d = checkEnvelope(deletedEvent!, 'task.deleted', ids.delete, uid);
    expect((d.data.task as { id?: string }).id).toBe(task.id);

    // Each request caused its events once, each with its own id, on its own topic only.
    const mine = [...users.received, ...tasks.received].filter((r) =>
      Object.values(ids).includes(r.envelope.correlationId),
    );
    expect(mine.map((r) => `${r.topic} ${r.envelope.eventType}`).sort()).toEqual([
      'task-events task.created',
      'task-events task.deleted',
      'task-events task.updated',
      'user-events user.registered',
    ]);
    expect(new Set(mine.map((r) => r.envelope.id)).size).toBe(4);
  });

  it('a request without X-Correlation-Id gets one, and its events carry it', async () => {
    const m = await api.member('events');
    const r = await api.call('POST', '/v1/tasks', { token: m.token, body: { title: 'No correlation id' } });
    const task = expectOk(r, 201, StrictTask);
    const given = r.headers.get('x-correlation-id');
    expect(given).toBeTruthy();
    const [event] = await collector('task-events').waitFor(
      (e) =>
        e.envelope.eventType === 'task.created' && (e.envelope.data.task as { id?: string }).id === task.id,
    );
    checkEnvelope(event!, 'task.created', given!, m.uid);
  });
});

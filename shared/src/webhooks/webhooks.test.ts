/**
 * Webhooks on memory deps: the URL rules (every blocked range, a public host, loopback
 * only where allowed, names resolved and every address checked), the signature (RFC 4231
 * vector), the audience rule, the fan-out applied once however often an event comes, and
 * the delivery worker's retry schedule, final failure and no-op on redelivered commands
 * (against a receiver on 127.0.0.1).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeMessage } from '../application/consumer.ts';
import { OUTBOX } from '../application/outbox.ts';
import type { Command } from '../domain/command.schema.ts';
import type { Principal } from '../domain/common.schema.ts';
import type { EventData, EventType } from '../domain/event.schema.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { type MemoryDeps, memoryDeps } from '../testing/memory-deps.ts';
import { testEvent, testTask } from '../testing/messages.ts';
import { deliverWebhook } from './deliver-webhook.ts';
import { audienceOf, fanOutConsumer } from './fan-out.ts';
import { createWebhook } from './registration.ts';
import { sweepDueDeliveries } from './retry-sweep.ts';
import { parseWebhookConfig } from './webhook-config.ts';
import { type DeliveryDoc, retryDelayMs, WEBHOOK_DELIVERIES } from './webhook-store.ts';
import { signatureOf, verifySignature } from './webhook-transport.ts';
import { blockedAddressReason, checkWebhookUrl, type Resolver } from './webhook-url.ts';

beforeAll(() => setLogger(createLogger({ level: 'silent' })));

const resolveTo =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const noDns: Resolver = async () => {
  throw new Error('no DNS in unit tests');
};

describe('webhook URLs', () => {
  const blocked = [
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '127.0.0.1',
    '127.8.9.10',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '::1',
    '::',
    'fc00::1',
    'fdff::1',
    'fe80::1',
    'febf::1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '::ffff:a9fe:a9fe',
  ];
  it.each(blocked)('blocks %s', (address) => {
    expect(blockedAddressReason(address, false)).not.toBeNull();
  });
  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2001:4860:4860::8888'])(
    'allows the public %s',
    (address) => {
      expect(blockedAddressReason(address, false)).toBeNull();
    },
  );
  it('allows loopback only when allowed, and nothing else private then', () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1'])
      expect(blockedAddressReason(address, true)).toBeNull();
    for (const address of ['10.0.0.1', '169.254.169.254', 'fe80::1', '0.0.0.0'])
      expect(blockedAddressReason(address, true)).not.toBeNull();
  });

  it('checks scheme, credentials, metadata names and every resolved address', async () => {
    const off = { allowLoopback: false, resolve: noDns };
    expect(await checkWebhookUrl('ftp://8.8.8.8/x', off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://u:p@8.8.8.8/x', off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('not a url', off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://metadata.google.internal/', off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://0x7f000001/', off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://2130706433/', off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('https://8.8.8.8/hook', off)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('https://hooks.example.com/x', off)).toMatchObject({ ok: false });
    const mixed = { allowLoopback: false, resolve: resolveTo('93.184.216.34', '10.1.2.3') };
    expect(await checkWebhookUrl('https://hooks.example.com/x', mixed)).toMatchObject({ ok: false });
    const pub = { allowLoopback: false, resolve: resolveTo('93.184.216.34', '2606:2800:220:1::1') };
    expect(await checkWebhookUrl('https://hooks.example.com/x', pub)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://127.0.0.1:8080/x', off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://127.0.0.1:8080/x', { ...off, allowLoopback: true })).toMatchObject({
      ok: true,
    });
  });
});

describe('webhook signature', () => {
  it('is the hex HMAC-SHA256 of the body (RFC 4231 test case 2)', () => {
    const sig = signatureOf('Jefe', 'what do ya want for nothing?');
    expect(sig).toBe('sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(verifySignature('Jefe', 'what do ya want for nothing?', sig)).toBe(true);
    expect(verifySignature('Jefe', 'what do ya want for nothing!', sig)).toBe(false);
    expect(verifySignature('Jefe', 'what do ya want for nothing?', 'sha256=00')).toBe(false);
  });
});

const owner: Principal = { uid: 'owner1', email: undefined, role: 'member' };

function envelope<T extends EventType>(deps: MemoryDeps, eventType: T, data: EventData<T>) {
  return testEvent(eventType, data, {
    id: deps.ids.newId(),
    timestamp: deps.clock.now().toISOString(),
    serviceId: 'test',
    correlationId: 'corr',
    actorId: owner.uid,
  });
}

describe('who receives an event', () => {
  const deps = memoryDeps();
  it('task events: owner and assignee; media: owner; user.registered: admins', () => {
    expect(
      audienceOf(
        envelope(deps, 'task.updated', {
          task: testTask({ id: 't', ownerId: 'a', assigneeId: 'b' }),
          changedFields: ['assigneeId'],
          previous: { assigneeId: null },
        }),
      ),
    ).toEqual({
      users: ['a', 'b'],
    });
    expect(audienceOf(envelope(deps, 'media.processed', { mediaId: 'm', ownerId: 'a' }))).toEqual({
      users: ['a'],
    });
    expect(audienceOf(envelope(deps, 'user.registered', { userId: 'u' }))).toEqual({ admins: true });
  });
});

describe('fan-out and delivery', () => {
  const config = parseWebhookConfig({
    WEBHOOKS_ALLOW_LOOPBACK: 'true',
    WEBHOOK_MAX_ATTEMPTS: '3',
    WEBHOOK_RETRY_BASE_MS: '1000',
  });
  const webhookDeps = (deps: MemoryDeps) => ({ ...deps, webhooks: config, resolve: noDns });
  let server: Server;
  let status = 500;
  let hits = 0;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        hits++;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  /**
   * Three deliveries of one event to the fan-out. With Pub/Sub down the commands wait in the
   * outbox (`sink` is read from there); otherwise they are sent after each commit.
   */
  async function fannedOut(deps: MemoryDeps, pubsub: 'up' | 'down' = 'up') {
    await createWebhook({ actor: owner, body: { url, events: ['task.created'] } }, webhookDeps(deps));
    const event = envelope(deps, 'task.created', {
      task: testTask({ id: 't1', ownerId: owner.uid }),
    });
    const message = {
      id: 'm1',
      data: Buffer.from(JSON.stringify(event)),
      attributes: {},
      publishTime: undefined,
    };
    const consumer = fanOutConsumer(() => config);
    const outcomes = [];
    deps.publisher.down = pubsub === 'down';
    for (let i = 0; i < 3; i++)
      outcomes.push(
        await consumeMessage('webhookTaskEvents', consumer, message, deps, { maxAgeSeconds: 3600 }),
      );
    deps.publisher.down = false;
    const waiting = deps.store
      .dump(OUTBOX)
      .map((d) => (d.data as { command: { topic: string; message: Command } }).command)
      .map(({ topic, message }) => ({ topic, command: message }));
    return { outcomes, sink: pubsub === 'down' ? waiting : deps.publisher.sent };
  }

  const deliveries = async (deps: MemoryDeps) =>
    deps.store.query<DeliveryDoc>({
      collection: WEBHOOK_DELIVERIES,
      where: [],
      orderBy: [{ field: '__id__', direction: 'asc' }],
      limit: 10,
    });

  it('three deliveries of one event make one delivery and one command', async () => {
    const deps = memoryDeps();
    const { outcomes, sink } = await fannedOut(deps, 'down');
    expect(outcomes).toEqual(['applied', 'duplicate', 'duplicate']);
    const docs = await deliveries(deps);
    expect(docs).toHaveLength(1);
    expect(docs[0]!.data).toMatchObject({ status: 'pending', attempts: [], webhookId: expect.any(String) });
    expect(sink).toHaveLength(1);
    expect(sink[0]!.command.data).toEqual({ deliveryId: docs[0]!.id, attempt: 1 });
    expect(await deps.store.get(OUTBOX, sink[0]!.command.id)).not.toBeNull();
  });

  it('the command is sent once the fan-out commits, and leaves the outbox', async () => {
    const deps = memoryDeps();
    const { sink } = await fannedOut(deps);
    expect(sink.map((s) => [s.topic, s.command.type])).toEqual([['webhook-deliveries', 'webhook.deliver']]);
    expect(deps.store.dump(OUTBOX)).toEqual([]);
  });

  it('retries with backoff, then fails; redelivered and stale commands do nothing', async () => {
    const deps = memoryDeps();
    status = 500;
    hits = 0;
    const { sink } = await fannedOut(deps);
    const first: Command = sink[0]!.command;
    expect(await deliverWebhook(first, webhookDeps(deps))).toBe('retry');
    expect(await deliverWebhook(first, webhookDeps(deps))).toBe('skipped');
    let [doc] = await deliveries(deps);
    expect(doc!.data.attempts).toHaveLength(1);
    expect(doc!.data.attempts[0]).toMatchObject({ status: 500, error: null });
    expect(Date.parse(doc!.data.nextAttemptAt!) - deps.clock.now().getTime()).toBe(retryDelayMs(1, 1000));
    expect(await sweepDueDeliveries({}, webhookDeps(deps))).toEqual([]);

    deps.advance(1000);
    const second = await sweepDueDeliveries({}, webhookDeps(deps));
    expect(second.map((c) => c.command.data)).toEqual([{ deliveryId: doc!.id, attempt: 2 }]);
    // Swept again before the command ran: nothing new is sent.
    expect(await sweepDueDeliveries({}, webhookDeps(deps))).toEqual([]);
    expect(await deliverWebhook(second[0]!.command, webhookDeps(deps))).toBe('retry');
    [doc] = await deliveries(deps);
    expect(Date.parse(doc!.data.nextAttemptAt!) - deps.clock.now().getTime()).toBe(retryDelayMs(2, 1000));
    expect(retryDelayMs(2, 1000)).toBe(3000);

    deps.advance(3000);
    const third = await sweepDueDeliveries({}, webhookDeps(deps));
    expect(await deliverWebhook(third[0]!.command, webhookDeps(deps))).toBe('failed');
    [doc] = await deliveries(deps);
    expect(doc!.data).toMatchObject({ status: 'failed', nextAttemptAt: null });
    expect(doc!.data.attempts).toHaveLength(3);

    deps.advance(3_600_000);
    expect(await sweepDueDeliveries({}, webhookDeps(deps))).toEqual([]);
    for (const c of [first, second[0]!.command, third[0]!.command])
      expect(await deliverWebhook(c, webhookDeps(deps))).toBe('skipped');
    expect(hits).toBe(3);
  });

  it('a 2xx settles the delivery; it is never sent again', async () => {
    const deps = memoryDeps();
    status = 200;
    hits = 0;
    const { sink } = await fannedOut(deps);
    expect(await deliverWebhook(sink[0]!.command, webhookDeps(deps))).toBe('delivered');
    expect(await deliverWebhook(sink[0]!.command, webhookDeps(deps))).toBe('skipped');
    deps.advance(3_600_000);
    expect(await sweepDueDeliveries({}, webhookDeps(deps))).toEqual([]);
    const [doc] = await deliveries(deps);
    expect(doc!.data).toMatchObject({ status: 'delivered', nextAttemptAt: null });
    expect(hits).toBe(1);
  });
});

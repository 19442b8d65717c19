/**
 * Webhooks on memory deps: the URL rules (every blocked range, a public host, loopback
 * only where allowed, names resolved and every address checked), the signature (RFC 4231
 * vector), the audience rule, the fan-out applied once however often an event comes, and
 * the delivery worker's retry schedule, final failure and no-op on redelivered commands
 * (against a receiver on 127.0.0.1).
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumeMessage } from '../application/consumer.ts';
import { OUTBOX } from '../application/outbox.ts';
import { open, sealedKid } from '../application/sealing.ts';
import type { Command } from '../domain/command.schema.ts';
import type { Principal } from '../domain/common.schema.ts';
import type { EventData, EventType } from '../domain/event.schema.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { USERS } from '../stores/user-store.ts';
import { type MemoryDeps, memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { testDelivery, testEvent, testMessage, testTask } from '../testing/messages.ts';
import { deliverWebhook } from './deliver-webhook.ts';
import { audienceOf, fanOutConsumer } from './fan-out.ts';
import { createWebhook } from './registration.ts';
import { sweepDueDeliveries } from './retry-sweep.ts';
import { KEY_ROTATIONS, rotateWebhookSecrets } from './rotate-secrets.ts';
import { parseWebhookConfig } from './webhook-config.ts';
import {
  type DeliveryDoc,
  retryDelayMs,
  WEBHOOK_DELIVERIES,
  WEBHOOKS,
  type WebhookDoc,
} from './webhook-store.ts';
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
    // IPv4-compatible in its hex form (what the URL parser makes of ::127.0.0.1)
    '::7f00:1',
    '::a9fe:a9fe',
    '::a00:1',
    // IPv4-translated (::ffff:0:0:0/96), written both ways
    '::ffff:0:7f00:1',
    '::ffff:0:10.0.0.1',
    // IPv4-mapped, fully written out
    '0:0:0:0:0:ffff:7f00:1',
    // NAT64, well-known and local-use prefixes: they reach whatever IPv4 address they embed
    '64:ff9b::a00:1',
    '64:ff9b::808:808',
    '64:ff9b:1::a00:1',
    '64:ff9b:1:ffff::1',
    // 6to4 and site-local
    '2002:a00:1::1',
    '2002:808:808::1',
    'fec0::1',
    'feff:ffff::1',
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

  it('refuses IPv6 literals the URL parser rewrites into forms that hide an IPv4 address', async () => {
    const off = { allowLoopback: false, resolve: noDns };
    for (const host of [
      '[::127.0.0.1]',
      '[::169.254.169.254]',
      '[::ffff:0:10.0.0.1]',
      '[64:ff9b:1::10.0.0.1]',
    ])
      expect(await checkWebhookUrl(`http://${host}/hook`, off)).toMatchObject({ ok: false });
    expect(await checkWebhookUrl('http://[::ffff:8.8.8.8]/hook', off)).toMatchObject({ ok: true });
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
  const t = 1_767_225_600; // 2026-01-01T00:00:00Z
  const now = t * 1000;
  it('signs the timestamp with the body: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const sig = signatureOf('Jefe', 'what do ya want for nothing?', t);
    const hmac = createHmac('sha256', 'Jefe').update(`${t}.what do ya want for nothing?`).digest('hex');
    expect(sig).toBe(`t=${t},v1=${hmac}`);
    expect(verifySignature('Jefe', 'what do ya want for nothing?', sig, { now })).toBe(true);
    expect(verifySignature('Jefe', 'what do ya want for nothing!', sig, { now })).toBe(false);
    expect(verifySignature('Jefe', 'what do ya want for nothing?', `t=${t},v1=00`, { now })).toBe(false);
    // The body alone, signed as before, no longer verifies: a replayed body needs a fresh t.
    const bodyOnly = createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex');
    expect(verifySignature('Jefe', 'what do ya want for nothing?', `sha256=${bodyOnly}`, { now })).toBe(
      false,
    );
  });

  it('refuses a timestamp outside the tolerance (a replay) and a forged one', () => {
    const sig = signatureOf('s', '{}', t);
    expect(verifySignature('s', '{}', sig, { now: now + 299_000 })).toBe(true);
    expect(verifySignature('s', '{}', sig, { now: now + 301_000 })).toBe(false);
    expect(verifySignature('s', '{}', sig, { now: now - 301_000 })).toBe(false);
    expect(verifySignature('s', '{}', sig, { now: now + 3_600_000, toleranceSeconds: 3600 })).toBe(true);
    expect(verifySignature('s', '{}', sig.replace(`t=${t}`, `t=${t + 60}`), { now })).toBe(false);
    for (const header of ['', 'v1=ab', `t=${t}`, `t=abc,v1=${'0'.repeat(64)}`])
      expect(verifySignature('s', '{}', header, { now })).toBe(false);
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

describe('user.registered: admins only', () => {
  const config = parseWebhookConfig({ WEBHOOKS_ALLOW_LOOPBACK: 'true' });
  const webhookDeps = (deps: MemoryDeps) => ({ ...deps, webhooks: config, resolve: noDns });
  const admin = (uid: string): Principal => ({ uid, email: undefined, role: 'admin' });
  const url = 'http://127.0.0.1:9/hook';

  it('a member may not subscribe to it (400); an admin may', async () => {
    const deps = memoryDeps();
    await expect(
      createWebhook(
        { actor: owner, body: { url, events: ['task.created', 'user.registered'] } },
        webhookDeps(deps),
      ),
    ).rejects.toMatchObject({
      status: 400,
      code: 'REQUEST.VALIDATION',
      details: { issues: [{ path: 'events', reason: expect.stringMatching(/admin/) }] },
    });
    await createWebhook(
      { actor: admin('a1'), body: { url, events: ['user.registered'] } },
      webhookDeps(deps),
    );
  });

  /** The webhook ids the fan-out of one `user.registered` made deliveries for. */
  async function fanOutRegistered(deps: MemoryDeps): Promise<string[]> {
    const before = new Set(deps.store.dump(WEBHOOK_DELIVERIES).map((d) => d.id));
    const event = envelope(deps, 'user.registered', { userId: `new-${deps.ids.newId()}` });
    const message = {
      id: event.id,
      data: Buffer.from(JSON.stringify(event)),
      attributes: {},
      publishTime: undefined,
    };
    expect(
      await consumeMessage(
        'webhookUserEvents',
        fanOutConsumer(() => config),
        message,
        deps,
        { maxAgeSeconds: 3600, deadLetterRetentionDays: 30 },
      ),
    ).toBe('applied');
    return deps.store
      .dump(WEBHOOK_DELIVERIES)
      .filter((d) => !before.has(d.id))
      .map((d) => (d.data as DeliveryDoc).webhookId)
      .sort();
  }

  it('reaches every admin webhook, however many members subscribed before the rule; a demoted admin’s stop', async () => {
    const deps = memoryDeps();
    // 12 members with 10 webhooks each, subscribed before members were refused (ids that
    // sort first), and more on other events.
    for (let m = 0; m < 12; m++) {
      await seedUser(deps, `member-${m}`);
      await deps.store.transact(async (tx) => {
        for (let w = 0; w < 10; w++)
          tx.set(WEBHOOKS, `-m${m}-${w}`, {
            id: `-m${m}-${w}`,
            ownerId: `member-${m}`,
            url,
            events: w % 2 ? ['task.created'] : ['user.registered', 'task.created'],
            createdAt: deps.clock.now().toISOString(),
          });
      });
    }
    // More admins than one page of them.
    const adminHooks: string[] = [];
    for (let a = 0; a < 105; a++) {
      await seedUser(deps, `admin-${a}`, 'admin');
      const hook = await createWebhook(
        { actor: admin(`admin-${a}`), body: { url, events: ['user.registered'] } },
        webhookDeps(deps),
      );
      adminHooks.push(hook.webhook.id);
    }
    expect(await fanOutRegistered(deps)).toEqual([...adminHooks].sort());

    // admin-0 is demoted: their webhook stops receiving at once.
    await deps.store.transact(async (tx) => {
      const user = await tx.get(USERS, 'admin-0');
      tx.set(USERS, 'admin-0', { ...user!.data, role: 'member' });
    });
    expect(await fanOutRegistered(deps)).toEqual(adminHooks.slice(1).sort());
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
        await consumeMessage('webhookTaskEvents', consumer, message, deps, {
          maxAgeSeconds: 3600,
          deadLetterRetentionDays: 30,
        }),
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

describe('sealed secrets', () => {
  const config = parseWebhookConfig({ WEBHOOKS_ALLOW_LOOPBACK: 'true', WEBHOOK_MAX_ATTEMPTS: '2' });
  const webhookDeps = (deps: MemoryDeps) => ({ ...deps, webhooks: config, resolve: noDns });
  const url = 'http://127.0.0.1:9/hook';
  const body = { url, events: ['task.created' as const] };

  /** Fans out one `task.created` of a task `owner` owns. */
  async function fanOutTaskCreated(deps: MemoryDeps): Promise<void> {
    const event = envelope(deps, 'task.created', { task: testTask({ id: 't1', ownerId: owner.uid }) });
    await consumeMessage(
      'webhookTaskEvents',
      fanOutConsumer(() => config),
      testMessage(event, 'm1'),
      deps,
      {
        maxAgeSeconds: 3600,
        deadLetterRetentionDays: 30,
      },
    );
  }

  /** Every log line written while `run` runs, as text. */
  async function logged(run: () => Promise<void>): Promise<string> {
    let text = '';
    setLogger(
      createLogger({
        level: 'trace',
        destination: new Writable({
          write(chunk, _encoding, done) {
            text += String(chunk);
            done();
          },
        }),
      }),
    );
    try {
      await run();
    } finally {
      setLogger(createLogger({ level: 'silent' }));
    }
    return text;
  }

  it('are stored only sealed under the current kid, and appear in no log line, store or delivery record', async () => {
    const deps = memoryDeps();
    let secret = '';
    const lines = await logged(async () => {
      const { webhook } = await createWebhook({ actor: owner, body }, webhookDeps(deps));
      secret = webhook.secret;
      const stored = (await deps.store.get<WebhookDoc>(WEBHOOKS, webhook.id))!.data;
      expect(stored).not.toHaveProperty('secret');
      expect(sealedKid(stored.sealedSecret)).toBe('1');
      expect(await open(stored.sealedSecret, deps.keyring)).toBe(secret);
      await fanOutTaskCreated(deps);
      await deliverWebhook(deps.publisher.sent[0]!.command, webhookDeps(deps));
      deps.keyring.rotate();
      await rotateWebhookSecrets({ batchSize: 10, dryRun: false }, deps);
    });
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    expect(lines).toContain('webhook.attempt');
    expect(lines).not.toContain(secret);
    const everything = JSON.stringify(
      [WEBHOOKS, WEBHOOK_DELIVERIES, KEY_ROTATIONS, OUTBOX, 'idempotency'].map((c) => deps.store.dump(c)),
    );
    expect(everything).not.toContain(secret);
  });

  it('rotation re-seals every secret under the newest kid: bounded, resumable, dry run writes nothing, plain ones sealed', async () => {
    const deps = memoryDeps();
    const secrets = new Map<string, string>();
    for (let i = 0; i < 7; i++) {
      const { webhook } = await createWebhook({ actor: { ...owner, uid: `u${i}` }, body }, webhookDeps(deps));
      secrets.set(webhook.id, webhook.secret);
    }
    // One stored in plain text before sealing existed.
    await deps.store.transact(async (tx) =>
      tx.set(WEBHOOKS, 'legacy', {
        id: 'legacy',
        ownerId: 'u9',
        url,
        events: ['task.created'],
        secret: 'plain-old',
        createdAt: '2026-01-01T00:00:00.000Z',
      }),
    );
    secrets.set('legacy', 'plain-old');
    deps.keyring.rotate();
    const kids = () => deps.store.dump(WEBHOOKS).map((d) => sealedKid(String(d.data.sealedSecret ?? '')));

    const dry = await rotateWebhookSecrets({ batchSize: 3, dryRun: true }, deps);
    expect(dry).toMatchObject({ kid: '2', total: 8, counts: { resealed: 8, current: 0 } });
    expect(kids().filter((k) => k === '2')).toEqual([]);
    expect(deps.store.dump(KEY_ROTATIONS)).toEqual([]);

    // A run cut short after 3 resumes after them.
    const first = await rotateWebhookSecrets({ batchSize: 3, dryRun: false, maxItems: 3 }, deps);
    expect(first.counts).toMatchObject({ resealed: 3 });
    expect(kids().filter((k) => k === '2')).toHaveLength(3);
    const rest = await rotateWebhookSecrets({ batchSize: 3, dryRun: false }, deps);
    expect(rest.resumedFrom).not.toBeNull();
    expect(rest.counts).toMatchObject({ resealed: 8, current: 0, failed: 0 });
    expect(kids()).toEqual(Array(8).fill('2'));
    for (const doc of deps.store.dump(WEBHOOKS)) {
      expect(doc.data).not.toHaveProperty('secret');
      expect(await open(String(doc.data.sealedSecret), deps.keyring)).toBe(secrets.get(doc.id));
    }
    // Version 1 can go now; a second run changes nothing.
    deps.keyring.destroy('1');
    const again = await rotateWebhookSecrets({ batchSize: 3, dryRun: false }, deps);
    expect(again.counts).toMatchObject({ resealed: 0, current: 8 });
  });

  it('a delivery whose secret does not open fails with its reason, unsent', async () => {
    const deps = memoryDeps();
    await createWebhook({ actor: owner, body }, webhookDeps(deps));
    await fanOutTaskCreated(deps);
    deps.keyring.rotate();
    deps.keyring.destroy('1');
    expect(await deliverWebhook(deps.publisher.sent[0]!.command, webhookDeps(deps))).toBe('failed');
    const [delivery] = deps.store.dump(WEBHOOK_DELIVERIES);
    expect(delivery!.data).toMatchObject({
      status: 'failed',
      attempts: [],
      failedReason: 'the webhook secret cannot be opened',
    });
  });
});

describe('the retry sweep', () => {
  it('sends every due delivery of a backlog of 1,000 in one call, each once', async () => {
    const deps = memoryDeps();
    const config = parseWebhookConfig({});
    const now = deps.clock.now();
    await deps.store.transact(async (tx) => {
      for (let i = 0; i < 1_000; i++) tx.set(WEBHOOK_DELIVERIES, `d${i}`, testDelivery(`d${i}`, now));
    });
    const sent = await sweepDueDeliveries({}, { ...deps, webhooks: config });
    expect(new Set(sent.map((s) => s.command.data.deliveryId)).size).toBe(1_000);
    expect(deps.publisher.sent).toHaveLength(1_000);
    expect(deps.store.dump(OUTBOX)).toEqual([]);
    expect(await sweepDueDeliveries({}, { ...deps, webhooks: config })).toEqual([]);
  });
});

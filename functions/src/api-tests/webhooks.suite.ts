/**
 * Webhooks through the API: registering shows the secret once (never in the list), the
 * list is the caller's, deleting is 204 and someone else's webhook is a 404; bad receiver
 * URLs are 400. With a receiver on 127.0.0.1: a task created by the owner is POSTed as the
 * event envelope of API.md, signed with the secret and carrying the delivery id; another
 * user's task is not; a receiver answering 500 is retried up to the last attempt and then
 * left alone. Deliveries are asynchronous (and retries wait for the sweep), so checks poll.
 */
import { randomUUID } from 'node:crypto';
import { DEAD_LETTERS, type DeadLetterDoc } from '@taskman/shared/application/consumer';
import { DOC_ID, type DocumentStore } from '@taskman/shared/ports/document-store';
import { WEBHOOKS } from '@taskman/shared/webhooks/webhook-store';
import { verifySignature } from '@taskman/shared/webhooks/webhook-transport';
import { decodeProtectedHeader } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiClient, MEMBER_PASSWORD, uniqueEmail } from './client.ts';
import { eventually } from './event-effects.ts';
import { createTask, expectEmpty, expectError, StrictEnvelope, sleep } from './expectations.ts';
import { createWebhook, type Receiver, startReceiver, webhooksOf } from './webhook-effects.ts';

export interface WebhooksSuiteOptions {
  /** How many attempts a delivery gets in this environment. */
  maxAttempts: number;
  /** Runs the retry sweep now (in-process; the stack's dev host ticks it by itself). */
  tick?: () => Promise<void>;
  /** The stored status of a delivery, where the harness can read the store. */
  deliveryStatus?: (deliveryId: string) => Promise<string | undefined>;
  /** The document store the functions use (the memory store, or Firestore on the emulator). */
  store: () => DocumentStore;
  /** Adds a new version of the webhook key and re-seals every secret under it (`npm run rotate-keys`). */
  rotateKeys: () => Promise<void>;
  /** Publishes `data` as the JSON of one message on `topic`, as any publisher could. */
  publishRaw: (topic: string, data: unknown) => Promise<void>;
}

/** How long retries may take: the stack's sweep runs on the dev host's ticks. */
const RETRY_DEADLINE_MS = 45_000;

export function webhooksSuite(client: () => ApiClient, options: WebhooksSuiteOptions): void {
  describe('webhooks', () => {
    const receivers: Receiver[] = [];
    const receiver = async () => {
      const r = await startReceiver();
      receivers.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(receivers.splice(0).map((r) => r.close()));
    });

    it('registering shows the secret once; the list is the caller’s, without secrets; delete is 204', async () => {
      const api = client();
      const [a, b] = await Promise.all([api.member('hooks'), api.member('other')]);
      const created = await createWebhook(api, a, {
        url: 'http://127.0.0.1:9/a',
        events: ['task.created', 'media.processed'],
      });
      expect(created.secret).toMatch(/^[0-9a-f]{64}$/);
      expect(created).toMatchObject({
        url: 'http://127.0.0.1:9/a',
        events: ['task.created', 'media.processed'],
      });
      const listed = await webhooksOf(api, a);
      expect(listed).toEqual([
        { id: created.id, url: created.url, events: created.events, createdAt: created.createdAt },
      ]);
      expect(JSON.stringify(listed)).not.toContain(created.secret);
      expect(await webhooksOf(api, b)).toEqual([]);

      expectError(
        await api.call('DELETE', `/v1/webhooks/${created.id}`, { token: b.token }),
        404,
        'WEBHOOK.NOT_FOUND',
      );
      expect(await webhooksOf(api, a)).toHaveLength(1);
      expectEmpty(await api.call('DELETE', `/v1/webhooks/${created.id}`, { token: a.token }), 204);
      expect(await webhooksOf(api, a)).toEqual([]);
      expectError(
        await api.call('DELETE', `/v1/webhooks/${created.id}`, { token: a.token }),
        404,
        'WEBHOOK.NOT_FOUND',
      );
    });

    it('registering answers with Cache-Control: no-store; the secret is stored only sealed, under a kid', async () => {
      const api = client();
      const a = await api.member('sealed');
      const reply = await api.call('POST', '/v1/webhooks', {
        token: a.token,
        body: { url: 'http://127.0.0.1:9/s', events: ['task.created'] },
      });
      expect(reply.status).toBe(201);
      expect(reply.headers.get('cache-control')).toBe('no-store');
      const { id, secret } = reply.json as { id: string; secret: string };
      const stored = await options.store().get<{ sealedSecret?: string }>(WEBHOOKS, id);
      expect(stored).not.toBeNull();
      expect(JSON.stringify(stored)).not.toContain(secret);
      expect(stored!.data).not.toHaveProperty('secret');
      expect(decodeProtectedHeader(String(stored!.data.sealedSecret))).toMatchObject({
        alg: 'dir',
        enc: 'A256GCM',
        kid: expect.stringMatching(/^\d+$/),
      });
    });

    it('user.registered: a member may not subscribe (400); an admin’s webhook receives each registration', async () => {
      const api = client();
      const [member, admin] = await Promise.all([api.member('hooks'), api.admin()]);
      const refused = expectError(
        await api.call('POST', '/v1/webhooks', {
          token: member.token,
          body: { url: 'http://127.0.0.1:9/r', events: ['user.registered'] },
        }),
        400,
        'REQUEST.VALIDATION',
      );
      expect(refused.details).toMatchObject({ issues: [{ path: 'events' }] });
      const rx = await receiver();
      const hook = await createWebhook(api, admin, { url: rx.url('/users'), events: ['user.registered'] });
      try {
        const email = uniqueEmail('registered');
        const registered = await api.call('POST', '/v1/auth/register', {
          body: { email, password: MEMBER_PASSWORD, displayName: 'New' },
        });
        expect(registered.status).toBe(201);
        const userId = (registered.json as { user: { id: string } }).user.id;
        const hit = await eventually('the user.registered delivery', async () => ({
          value: rx.hits.find((h) => h.body.includes(userId)),
          seen: rx.hits.length,
        }));
        expect(hit.headers['x-taskman-event']).toBe('user.registered');
        expect(verifySignature(hook.secret, hit.body, String(hit.headers['x-taskman-signature']))).toBe(true);
      } finally {
        expectEmpty(await api.call('DELETE', `/v1/webhooks/${hook.id}`, { token: admin.token }), 204);
      }
    });

    it('after the keys rotate, secrets are sealed under the new kid and deliveries still verify', async () => {
      const api = client();
      const owner = await api.member('rotated');
      const rx = await receiver();
      const hook = await createWebhook(api, owner, { url: rx.url('/rotated'), events: ['task.created'] });
      const kidOf = async () =>
        decodeProtectedHeader(
          String((await options.store().get<{ sealedSecret: string }>(WEBHOOKS, hook.id))?.data.sealedSecret),
        ).kid;
      const before = await kidOf();
      await options.rotateKeys();
      expect(Number(await kidOf())).toBeGreaterThan(Number(before));
      const task = await createTask(api, owner, { title: 'After rotation' });
      const hit = await eventually('the delivery after rotation', async () => ({
        value: rx.hits.find((h) => h.body.includes(task.id)),
        seen: rx.hits.length,
      }));
      const signature = String(hit.headers['x-taskman-signature']);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifySignature(hook.secret, hit.body, signature)).toBe(true);
    });

    it('a malformed command on the delivery topic is dead-lettered with its reason', async () => {
      const marker = `not-a-command-${randomUUID()}`;
      await options.publishRaw('webhook-deliveries', { hello: marker });
      const letter = await eventually('the dead letter', async () => {
        const letters = await options.store().query<DeadLetterDoc>({
          collection: DEAD_LETTERS,
          where: [{ field: 'consumer', op: '==', value: 'deliverWebhook' }],
          orderBy: [{ field: DOC_ID, direction: 'asc' }],
          limit: 500,
        });
        return { value: letters.find((l) => l.data.data.includes(marker))?.data, seen: letters.length };
      });
      expect(letter.reason).toMatch(/not a command/);
      expect(letter.code).toBe('REQUEST.VALIDATION');
    });

    it('bad receiver URLs and event lists are 400', async () => {
      const api = client();
      const m = await api.member('hooks');
      const urls = [
        'not a url',
        '/relative/hook',
        'ftp://127.0.0.1/hook',
        'file:///etc/passwd',
        'http://user:pass@127.0.0.1/hook',
        'http://10.0.0.1/hook',
        'http://172.16.0.1/hook',
        'http://192.168.1.1/hook',
        'http://169.254.169.254/computeMetadata/v1/',
        'http://100.64.0.1/hook',
        'http://0.0.0.0/hook',
        'http://[fe80::1]/hook',
        'http://[fc00::1]/hook',
        'http://[::ffff:10.0.0.1]/hook',
        'http://[::10.0.0.1]/hook',
        'http://[::ffff:0:10.0.0.1]/hook',
        'http://[64:ff9b:1::10.0.0.1]/hook',
        'http://[2002:a00:1::1]/hook',
        'http://[fec0::1]/hook',
        'http://metadata.google.internal/computeMetadata/v1/',
      ];
      for (const url of urls) {
        const r = await api.call('POST', '/v1/webhooks', {
          token: m.token,
          body: { url, events: ['task.created'] },
        });
        expectError(r, 400, 'REQUEST.VALIDATION');
      }
      for (const events of [[], ['task.nope'], ['task.created', 'task.created']]) {
        const r = await api.call('POST', '/v1/webhooks', {
          token: m.token,
          body: { url: 'http://127.0.0.1:9/hook', events },
        });
        expectError(r, 400, 'REQUEST.VALIDATION');
      }
      expect(await webhooksOf(api, m)).toEqual([]);
    });

    it('a task the owner creates is POSTed as the signed envelope; another user’s task is not', async () => {
      const api = client();
      const [owner, stranger] = await Promise.all([api.member('hooks'), api.member('stranger')]);
      const rx = await receiver();
      const hook = await createWebhook(api, owner, { url: rx.url('/tasks'), events: ['task.created'] });
      const foreign = await createTask(api, stranger, { title: 'Not yours' });
      const task = await createTask(api, owner, { title: 'Hooked' });
      const hit = await eventually('the webhook delivery', async () => ({
        value: rx.hits.find((h) => h.body.includes(task.id)),
        seen: rx.hits.length,
      }));
      expect(hit.method).toBe('POST');
      expect(hit.path).toBe('/tasks');
      expect(hit.headers['content-type']).toBe('application/json');
      expect(hit.headers['x-taskman-event']).toBe('task.created');
      expect(hit.headers['x-taskman-delivery']).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(verifySignature(hook.secret, hit.body, String(hit.headers['x-taskman-signature']))).toBe(true);
      const envelope = StrictEnvelope.parse(JSON.parse(hit.body));
      expect(envelope).toMatchObject({ eventType: 'task.created', version: 1, actorId: owner.uid });
      expect((envelope.data.task as { id: string }).id).toBe(task.id);
      // Any straggler (a duplicate, or the stranger's task) would have arrived by now.
      await sleep(500);
      expect(rx.hits.filter((h) => h.body.includes(task.id))).toHaveLength(1);
      expect(rx.hits.filter((h) => h.body.includes(foreign.id))).toEqual([]);
      if (options.deliveryStatus) {
        expect(await options.deliveryStatus(String(hit.headers['x-taskman-delivery']))).toBe('delivered');
      }
    });

    it('a receiver answering 500 is retried up to the last attempt, then marked failed', async () => {
      const api = client();
      const owner = await api.member('hooks');
      const rx = await receiver();
      rx.status = 500;
      await createWebhook(api, owner, { url: rx.url('/failing'), events: ['task.created'] });
      const task = await createTask(api, owner, { title: 'Retried' });
      const mine = () => rx.hits.filter((h) => h.body.includes(task.id));
      await eventually(
        `${options.maxAttempts} attempts`,
        async () => {
          await options.tick?.();
          return { value: mine().length >= options.maxAttempts ? true : undefined, seen: mine().length };
        },
        RETRY_DEADLINE_MS,
      );
      const ids = new Set(mine().map((h) => h.headers['x-taskman-delivery']));
      expect(ids.size).toBe(1);
      // After the last attempt nothing more is sent, however often the sweep runs.
      for (let i = 0; i < 3; i++) {
        await options.tick?.();
        await sleep(options.tick ? 100 : 2_000);
      }
      expect(mine()).toHaveLength(options.maxAttempts);
      if (options.deliveryStatus) expect(await options.deliveryStatus(String([...ids][0]))).toBe('failed');
    }, 60_000);
  });
}

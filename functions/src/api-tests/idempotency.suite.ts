/**
 * `Idempotency-Key` on creating POSTs (tasks, comments, media uploads and webhooks): the same key and body replay
 * the first response and create nothing new, also when the repeats race; the same key with
 * another body is 422; keys belong to their user; a malformed key is 400.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from './client.ts';
import {
  CommentPage,
  createTask,
  expectError,
  expectOk,
  expectValidation,
  listAll,
  MediaPage,
  StrictComment,
  StrictTask,
  TaskPage,
} from './expectations.ts';
import { StrictCreatedWebhook, webhooksOf } from './webhook-effects.ts';

const key = () => `key-${randomUUID()}`;

export function idempotencySuite(client: () => ApiClient): void {
  describe('Idempotency-Key on POST /v1/tasks', () => {
    it('replays the first response for the same key and body, creating one task', async () => {
      const api = client();
      const owner = await api.member('owner');
      const headers = { 'Idempotency-Key': key() };
      const body = { title: 'Once only', labels: ['a'] };
      const first = await api.call('POST', '/v1/tasks', { token: owner.token, headers, body });
      const task = expectOk(first, 201, StrictTask);
      const second = await api.call('POST', '/v1/tasks', { token: owner.token, headers, body });
      expect(expectOk(second, 201, StrictTask)).toEqual(task);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('location')).toBe(first.headers.get('location'));
      expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
      expect((await listAll(api, owner, '/v1/tasks', TaskPage)).map((t) => t.id)).toEqual([task.id]);
    });

    it('gives 422 IDEMPOTENCY.KEY_REUSED for the same key with another body, creating nothing', async () => {
      const api = client();
      const owner = await api.member('owner');
      const headers = { 'Idempotency-Key': key() };
      const task = expectOk(
        await api.call('POST', '/v1/tasks', { token: owner.token, headers, body: { title: 'First' } }),
        201,
        StrictTask,
      );
      for (const body of [{ title: 'Second' }, { title: 'First', priority: 'HIGH' }]) {
        const r = await api.call('POST', '/v1/tasks', { token: owner.token, headers, body });
        expectError(r, 422, 'IDEMPOTENCY.KEY_REUSED');
      }
      expect((await listAll(api, owner, '/v1/tasks', TaskPage)).map((t) => t.id)).toEqual([task.id]);
    });

    it('creates one task when repeats with one key race', async () => {
      const api = client();
      const owner = await api.member('owner');
      const headers = { 'Idempotency-Key': key() };
      const replies = await Promise.all(
        Array.from({ length: 8 }, () =>
          api.call('POST', '/v1/tasks', { token: owner.token, headers, body: { title: 'Raced' } }),
        ),
      );
      const tasks = replies.map((r) => expectOk(r, 201, StrictTask));
      expect(new Set(tasks.map((t) => t.id)).size).toBe(1);
      expect(await listAll(api, owner, '/v1/tasks', TaskPage)).toHaveLength(1);
    });

    it('keeps keys per user and apart from new keys', async () => {
      const api = client();
      const [a, b] = [await api.member('a'), await api.member('b')];
      const shared = key();
      const body = { title: 'Same key, two users' };
      const ta = expectOk(
        await api.call('POST', '/v1/tasks', { token: a.token, headers: { 'Idempotency-Key': shared }, body }),
        201,
        StrictTask,
      );
      const tb = expectOk(
        await api.call('POST', '/v1/tasks', { token: b.token, headers: { 'Idempotency-Key': shared }, body }),
        201,
        StrictTask,
      );
      expect(tb.id).not.toBe(ta.id);
      expect(tb.ownerId).toBe(b.uid);
      // Another key, or no key, creates another task.
      const tc = await api.call('POST', '/v1/tasks', {
        token: a.token,
        headers: { 'Idempotency-Key': key() },
        body,
      });
      expect(expectOk(tc, 201, StrictTask).id).not.toBe(ta.id);
      await createTask(api, a, body);
      expect(await listAll(api, a, '/v1/tasks', TaskPage)).toHaveLength(3);
    });

    it('gives 400 for a malformed key', async () => {
      const api = client();
      const owner = await api.member('owner');
      for (const bad of ['has space', 'k'.repeat(256)]) {
        const r = await api.call('POST', '/v1/tasks', {
          token: owner.token,
          headers: { 'Idempotency-Key': bad },
          body: { title: 'x' },
        });
        expectValidation(r, 'Idempotency-Key');
      }
      expect(await listAll(api, owner, '/v1/tasks', TaskPage)).toEqual([]);
    });
  });

  describe('Idempotency-Key on POST /v1/tasks/{id}/comments', () => {
    it('replays for the same key and body, 422 for another body, one comment', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const path = `/v1/tasks/${task.id}/comments`;
      const headers = { 'Idempotency-Key': key() };
      const first = await api.call('POST', path, { token: owner.token, headers, body: { body: 'Hello' } });
      const comment = expectOk(first, 201, StrictComment);
      const again = await api.call('POST', path, { token: owner.token, headers, body: { body: 'Hello' } });
      expect(expectOk(again, 201, StrictComment)).toEqual(comment);
      const other = await api.call('POST', path, { token: owner.token, headers, body: { body: 'Bye' } });
      expectError(other, 422, 'IDEMPOTENCY.KEY_REUSED');
      expect((await listAll(api, owner, path, CommentPage)).map((c) => c.id)).toEqual([comment.id]);
    });

    it('treats the same key on another task as another request (422)', async () => {
      const api = client();
      const owner = await api.member('owner');
      const [t1, t2] = [await createTask(api, owner), await createTask(api, owner)];
      const headers = { 'Idempotency-Key': key() };
      expectOk(
        await api.call('POST', `/v1/tasks/${t1.id}/comments`, {
          token: owner.token,
          headers,
          body: { body: 'x' },
        }),
        201,
        StrictComment,
      );
      const r = await api.call('POST', `/v1/tasks/${t2.id}/comments`, {
        token: owner.token,
        headers,
        body: { body: 'x' },
      });
      expectError(r, 422, 'IDEMPOTENCY.KEY_REUSED');
      expect(await listAll(api, owner, `/v1/tasks/${t2.id}/comments`, CommentPage)).toEqual([]);
    });
  });

  describe('Idempotency-Key on POST /v1/media/uploads', () => {
    it('replays the first response (the same media and upload) for the same key and body, 422 for another body, one media', async () => {
      const api = client();
      const owner = await api.member('owner');
      const headers = { 'Idempotency-Key': key() };
      const body = { filename: 'photo.jpg', contentType: 'image/jpeg', size: 1234 };
      const first = await api.call('POST', '/v1/media/uploads', { token: owner.token, headers, body });
      expect(first.status, first.text).toBe(201);
      const again = await api.call('POST', '/v1/media/uploads', { token: owner.token, headers, body });
      expect(again.status, again.text).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const other = await api.call('POST', '/v1/media/uploads', {
        token: owner.token,
        headers,
        body: { ...body, size: 4321 },
      });
      expectError(other, 422, 'IDEMPOTENCY.KEY_REUSED');
      expect((await listAll(api, owner, '/v1/media', MediaPage)).map((m) => m.id)).toEqual([
        first.json.media.id,
      ]);
    });
  });

  describe('Idempotency-Key on POST /v1/webhooks', () => {
    it('replays the first answer (the same webhook and secret, not cached), 422 for another body, one webhook', async () => {
      const api = client();
      const owner = await api.member('owner');
      const headers = { 'Idempotency-Key': key() };
      const body = { url: 'http://127.0.0.1:9/once', events: ['task.created'] };
      const first = await api.call('POST', '/v1/webhooks', { token: owner.token, headers, body });
      const created = expectOk(first, 201, StrictCreatedWebhook);
      const again = await api.call('POST', '/v1/webhooks', { token: owner.token, headers, body });
      expect(expectOk(again, 201, StrictCreatedWebhook)).toEqual(created);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('cache-control')).toBe('no-store');
      expect(again.headers.get('location')).toBe(first.headers.get('location'));
      const other = await api.call('POST', '/v1/webhooks', {
        token: owner.token,
        headers,
        body: { ...body, events: ['task.updated'] },
      });
      expectError(other, 422, 'IDEMPOTENCY.KEY_REUSED');
      expect((await webhooksOf(api, owner)).map((w) => w.id)).toEqual([created.id]);
    });

    it('creates one webhook when repeats with one key race', async () => {
      const api = client();
      const owner = await api.member('owner');
      const headers = { 'Idempotency-Key': key() };
      const body = { url: 'http://127.0.0.1:9/raced', events: ['task.created'] };
      const replies = await Promise.all(
        Array.from({ length: 6 }, () =>
          api.call('POST', '/v1/webhooks', { token: owner.token, headers, body }),
        ),
      );
      const hooks = replies.map((r) => expectOk(r, 201, StrictCreatedWebhook));
      expect(new Set(hooks.map((h) => `${h.id} ${h.secret}`)).size).toBe(1);
      expect(await webhooksOf(api, owner)).toHaveLength(1);
    });
  });
}

/**
 * Tasks, one at a time: create, read, change and delete, with the headers of API.md
 * (Location, ETag, If-None-Match → 304, If-Match → 412), the limits of each field, body
 * size (413) and type (415), the whole status-transition table, and 50 concurrent PATCHes
 * racing with one If-Match (no lost updates).
 */
import type { TaskStatus } from '@taskman/shared/domain/task.schema';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ApiClient } from './client.ts';
import {
  createTask,
  expectEmpty,
  expectError,
  expectOk,
  expectValidation,
  listAll,
  readTask,
  StrictTask,
  TaskPage,
} from './expectations.ts';

/** API.md, "Allowed status changes", written out independently of the code's table. */
const ALLOWED: Record<TaskStatus, TaskStatus[]> = {
  PENDING: ['IN_PROGRESS', 'COMPLETED', 'CANCELLED'],
  IN_PROGRESS: ['PENDING', 'COMPLETED', 'CANCELLED'],
  COMPLETED: ['IN_PROGRESS'],
  CANCELLED: ['PENDING'],
};
const STATUSES: TaskStatus[] = ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'];

const MISSING_ID = 'AAAAAAAAAAAAAAAAAAAA';
const DEFAULT_BODY_LIMIT = 256 * 1024;
const CONCURRENT_PATCHES = 50;

const TaskWithMedia = StrictTask.extend({ media: z.array(z.unknown()) }).strict();

export function tasksSuite(client: () => ApiClient): void {
  describe('POST /v1/tasks', () => {
    it('creates a task with the defaults, Location and ETag', async () => {
      const api = client();
      const owner = await api.member('owner');
      const r = await api.call('POST', '/v1/tasks', {
        token: owner.token,
        body: { title: '  Write tests  ' },
      });
      const task = expectOk(r, 201, StrictTask);
      expect(task).toMatchObject({
        title: 'Write tests',
        description: '',
        status: 'PENDING',
        priority: 'MEDIUM',
        dueDate: null,
        ownerId: owner.uid,
        assigneeId: null,
        labels: [],
        mediaIds: [],
        version: 1,
      });
      expect(task.updatedAt).toBe(task.createdAt);
      expect(r.headers.get('location')).toBe(`/v1/tasks/${task.id}`);
      const etag = r.headers.get('etag');
      expect(etag).toMatch(/^(W\/)?"[^"]+"$/);

      const read = await api.call('GET', r.headers.get('location')!, { token: owner.token });
      expect(expectOk(read, 200, StrictTask)).toEqual(task);
      expect(read.headers.get('etag')).toBe(etag);
    });

    it('creates a task with every field, storing the due date in UTC', async () => {
      const api = client();
      const [owner, assignee] = [await api.member('owner'), await api.member('assignee')];
      const task = await createTask(api, owner, {
        title: 'Full',
        description: 'All the fields',
        status: 'IN_PROGRESS',
        priority: 'URGENT',
        dueDate: '2030-01-01T10:00:00+02:00',
        assigneeId: assignee.uid,
        labels: ['home', 'garden'],
      });
      expect(task).toMatchObject({
        title: 'Full',
        description: 'All the fields',
        status: 'IN_PROGRESS',
        priority: 'URGENT',
        dueDate: '2030-01-01T08:00:00.000Z',
        assigneeId: assignee.uid,
        labels: ['home', 'garden'],
      });
    });

    it('accepts each field at its limit', async () => {
      const api = client();
      const owner = await api.member('owner');
      const labels = Array.from({ length: 20 }, (_, i) => `${String(i).padStart(2, '0')}${'l'.repeat(38)}`);
      const task = await createTask(api, owner, {
        title: 't'.repeat(200),
        description: 'd'.repeat(10_000),
        labels,
      });
      expect(task.title).toHaveLength(200);
      expect(task.description).toHaveLength(10_000);
      expect(task.labels).toEqual(labels);
    });

    it('gives 400 naming the field for each value over its limit or of the wrong kind', async () => {
      const api = client();
      const owner = await api.member('owner');
      const cases: [Record<string, unknown>, string][] = [
        [{}, 'title'],
        [{ title: '' }, 'title'],
        [{ title: '   ' }, 'title'],
        [{ title: 't'.repeat(201) }, 'title'],
        [{ title: 42 }, 'title'],
        [{ title: 'x', description: 'd'.repeat(10_001) }, 'description'],
        [{ title: 'x', status: 'DONE' }, 'status'],
        [{ title: 'x', priority: 'low' }, 'priority'],
        [{ title: 'x', dueDate: 'tomorrow' }, 'dueDate'],
        [{ title: 'x', dueDate: '2030-02-30T00:00:00Z' }, 'dueDate'],
        [{ title: 'x', labels: Array.from({ length: 21 }, (_, i) => `l${i}`) }, 'labels'],
        [{ title: 'x', labels: ['l'.repeat(41)] }, 'labels.0'],
        [{ title: 'x', labels: 'home' }, 'labels'],
        [{ title: 'x', assigneeId: 'not an id' }, 'assigneeId'],
        [{ title: 'x', assigneeId: MISSING_ID }, 'assigneeId'],
        [{ title: 'x', ownerId: owner.uid }, 'ownerId'],
        [{ title: 'x', version: 7 }, 'version'],
      ];
      for (const [body, path] of cases) {
        expectValidation(await api.call('POST', '/v1/tasks', { token: owner.token, body }), path);
      }
      expect(await listAll(api, owner, '/v1/tasks', TaskPage)).toEqual([]);
    });

    it('gives 400 REQUEST.MALFORMED_JSON for broken JSON and 400 for no body', async () => {
      const api = client();
      const owner = await api.member('owner');
      const json = { 'Content-Type': 'application/json' };
      const r = await api.call('POST', '/v1/tasks', {
        token: owner.token,
        headers: json,
        raw: '{"title": "x",',
      });
      expectError(r, 400, 'REQUEST.MALFORMED_JSON');
      expectValidation(await api.call('POST', '/v1/tasks', { token: owner.token, headers: json }), 'body');
      expect(await listAll(api, owner, '/v1/tasks', TaskPage)).toEqual([]);
    });

    it('gives 413 REQUEST.TOO_LARGE for a body over the limit (256 KiB), and creates nothing', async () => {
      const api = client();
      const owner = await api.member('owner');
      const big = { title: 'big', description: 'd'.repeat(DEFAULT_BODY_LIMIT + 1_000) };
      const error = expectError(
        await api.call('POST', '/v1/tasks', { token: owner.token, body: big }),
        413,
        'REQUEST.TOO_LARGE',
      );
      expect(error.details).toEqual({ limit: DEFAULT_BODY_LIMIT });
      // Just under the limit the body is read and judged on its fields.
      const under = { title: 'big', description: 'd'.repeat(DEFAULT_BODY_LIMIT - 1_000) };
      expectValidation(
        await api.call('POST', '/v1/tasks', { token: owner.token, body: under }),
        'description',
      );
      expect(await listAll(api, owner, '/v1/tasks', TaskPage)).toEqual([]);
    });

    it('gives 415 for a body that is not JSON, and creates nothing', async () => {
      const api = client();
      const owner = await api.member('owner');
      const bodies: [string, string][] = [
        ['text/plain', '{"title":"x"}'],
        ['application/x-www-form-urlencoded', 'title=x'],
        ['application/xml', '<task><title>x</title></task>'],
        [
          'multipart/form-data; boundary=b',
          '--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--b--',
        ],
        ['application/octet-stream', 'title'],
      ];
      for (const [type, raw] of bodies) {
        const r = await api.call('POST', '/v1/tasks', {
          token: owner.token,
          headers: { 'Content-Type': type },
          raw,
        });
        expectError(r, 415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE');
      }
      expect(await listAll(api, owner, '/v1/tasks', TaskPage)).toEqual([]);
    });
  });

  describe('GET /v1/tasks/{id}', () => {
    it('answers 304 for a matching If-None-Match and 200 for a stale one', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const { etag } = await readTask(api, owner, task.id);

      for (const ifNoneMatch of [etag, `W/${etag}`, `"stale", ${etag}`]) {
        const r = await api.call('GET', `/v1/tasks/${task.id}`, {
          token: owner.token,
          headers: { 'If-None-Match': ifNoneMatch },
        });
        expectEmpty(r, 304);
        expect(r.headers.get('etag')).toBe(etag);
      }
      const changed = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        body: { title: 'New' },
      });
      expectOk(changed, 200, StrictTask);
      const r = await api.call('GET', `/v1/tasks/${task.id}`, {
        token: owner.token,
        headers: { 'If-None-Match': etag },
      });
      expect(expectOk(r, 200, StrictTask).title).toBe('New');
      expect(r.headers.get('etag')).toBe(changed.headers.get('etag'));
      expect(r.headers.get('etag')).not.toBe(etag);
    });

    it('adds media with ?include=media', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const r = await api.call('GET', `/v1/tasks/${task.id}?include=media`, { token: owner.token });
      expect(expectOk(r, 200, TaskWithMedia)).toMatchObject({ id: task.id, media: [] });
      expectValidation(
        await api.call('GET', `/v1/tasks/${task.id}?include=comments`, { token: owner.token }),
        'query.include',
      );
    });

    it('gives 404 TASK.NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
      const api = client();
      const owner = await api.member('owner');
      expectError(
        await api.call('GET', `/v1/tasks/${MISSING_ID}`, { token: owner.token }),
        404,
        'TASK.NOT_FOUND',
      );
      expectValidation(
        await api.call('GET', `/v1/tasks/${'x'.repeat(300)}`, { token: owner.token }),
        'params.id',
      );
    });
  });

  describe('PATCH /v1/tasks/{id}', () => {
    it('changes the given fields only, bumps the version and the ETag', async () => {
      const api = client();
      const [owner, assignee] = [await api.member('owner'), await api.member('assignee')];
      const task = await createTask(api, owner, { description: 'keep me', labels: ['a'] });
      const r = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        body: {
          title: 'Changed',
          priority: 'HIGH',
          dueDate: '2031-05-05T05:05:05Z',
          assigneeId: assignee.uid,
        },
      });
      const next = expectOk(r, 200, StrictTask);
      expect(next).toEqual({
        ...task,
        title: 'Changed',
        priority: 'HIGH',
        dueDate: '2031-05-05T05:05:05.000Z',
        assigneeId: assignee.uid,
        version: task.version + 1,
        updatedAt: next.updatedAt,
      });
      expect(next.updatedAt >= task.updatedAt).toBe(true);
      const { task: read, etag } = await readTask(api, owner, task.id);
      expect(read).toEqual(next);
      expect(r.headers.get('etag')).toBe(etag);

      // null clears the due date and the assignee.
      const cleared = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        body: { dueDate: null, assigneeId: null, labels: [] },
      });
      expect(expectOk(cleared, 200, StrictTask)).toMatchObject({
        dueDate: null,
        assigneeId: null,
        labels: [],
      });
    });

    it('honours If-Match: the current ETag or * succeed, a stale one is 412 and changes nothing', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const { etag: first } = await readTask(api, owner, task.id);
      const ok = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        headers: { 'If-Match': first },
        body: { title: 'Second' },
      });
      expectOk(ok, 200, StrictTask);
      const second = ok.headers.get('etag')!;

      const stale = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        headers: { 'If-Match': first },
        body: { title: 'Lost update' },
      });
      expectError(stale, 412, 'PRECONDITION.FAILED');
      const after = await readTask(api, owner, task.id);
      expect(after.task.title).toBe('Second');
      expect(after.etag).toBe(second);

      const star = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        headers: { 'If-Match': '*' },
        body: { title: 'Third' },
      });
      expect(expectOk(star, 200, StrictTask).title).toBe('Third');
    });

    it('gives 400 for an empty or bad patch, 404 for an unknown task', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const patch = (body: unknown) =>
        api.call('PATCH', `/v1/tasks/${task.id}`, { token: owner.token, body });
      expectValidation(await patch({}), 'body');
      expectValidation(await patch({ status: 'DONE' }), 'status');
      expectValidation(await patch({ title: null }), 'title');
      expectValidation(await patch({ ownerId: 'someone' }), 'ownerId');
      expectValidation(await patch({ version: 9 }), 'version');
      expectValidation(await patch({ assigneeId: MISSING_ID }), 'assigneeId');
      expectValidation(await patch([{ op: 'replace', path: '/title', value: 'x' }]), 'body');
      expect((await readTask(api, owner, task.id)).task).toEqual(task);
      const missing = await api.call('PATCH', `/v1/tasks/${MISSING_ID}`, {
        token: owner.token,
        body: { title: 'x' },
      });
      expectError(missing, 404, 'TASK.NOT_FOUND');
    });
  });

  describe('DELETE /v1/tasks/{id}', () => {
    it('answers 204; the task is gone from reads and lists', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const keep = await createTask(api, owner, { title: 'keep' });
      expectEmpty(await api.call('DELETE', `/v1/tasks/${task.id}`, { token: owner.token }), 204);
      expectError(
        await api.call('GET', `/v1/tasks/${task.id}`, { token: owner.token }),
        404,
        'TASK.NOT_FOUND',
      );
      expect((await listAll(api, owner, '/v1/tasks', TaskPage)).map((t) => t.id)).toEqual([keep.id]);
      expectError(
        await api.call('DELETE', `/v1/tasks/${task.id}`, { token: owner.token }),
        404,
        'TASK.NOT_FOUND',
      );
      const patch = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        body: { title: 'x' },
      });
      expectError(patch, 404, 'TASK.NOT_FOUND');
    });

    it('honours If-Match: a stale ETag is 412 and the task stays; the current one deletes', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const { etag: first } = await readTask(api, owner, task.id);
      expectOk(
        await api.call('PATCH', `/v1/tasks/${task.id}`, { token: owner.token, body: { title: 'v2' } }),
        200,
        StrictTask,
      );
      const stale = await api.call('DELETE', `/v1/tasks/${task.id}`, {
        token: owner.token,
        headers: { 'If-Match': first },
      });
      expectError(stale, 412, 'PRECONDITION.FAILED');
      const { task: still, etag } = await readTask(api, owner, task.id);
      expect(still.title).toBe('v2');
      expectEmpty(
        await api.call('DELETE', `/v1/tasks/${task.id}`, {
          token: owner.token,
          headers: { 'If-Match': etag },
        }),
        204,
      );
    });
  });

  describe('the status-transition table', () => {
    for (const from of STATUSES) {
      for (const to of STATUSES) {
        const allowed = from === to || ALLOWED[from].includes(to);
        const outcome =
          from === to ? '200, nothing changes' : allowed ? '200' : '409 TASK.INVALID_TRANSITION';
        it(`${from} → ${to}: ${outcome}`, async () => {
          const api = client();
          const owner = await api.member('owner');
          const task = await createTask(api, owner, { status: from });
          const r = await api.call('PATCH', `/v1/tasks/${task.id}`, {
            token: owner.token,
            body: { status: to },
          });
          if (allowed) {
            const next = expectOk(r, 200, StrictTask);
            expect(next.status).toBe(to);
            expect(next.version).toBe(from === to ? task.version : task.version + 1);
          } else {
            const error = expectError(r, 409, 'TASK.INVALID_TRANSITION');
            expect(error.details).toEqual({ from, to });
            expect((await readTask(api, owner, task.id)).task).toEqual(task);
          }
        });
      }
    }

    it('follows a whole workflow, each step one version', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const path: TaskStatus[] = [
        'IN_PROGRESS',
        'COMPLETED',
        'IN_PROGRESS',
        'CANCELLED',
        'PENDING',
        'COMPLETED',
      ];
      let version = task.version;
      for (const status of path) {
        const r = await api.call('PATCH', `/v1/tasks/${task.id}`, { token: owner.token, body: { status } });
        const next = expectOk(r, 200, StrictTask);
        expect(next).toMatchObject({ status, version: ++version });
      }
    });
  });

  describe('no lost updates', () => {
    it(`${CONCURRENT_PATCHES} concurrent PATCHes with one If-Match: exactly one 200, the rest 412`, async () => {
      const api = client();
      const owner = await api.member('racer');
      const task = await createTask(api, owner);
      const { etag } = await readTask(api, owner, task.id);
      const replies = await Promise.all(
        Array.from({ length: CONCURRENT_PATCHES }, (_, i) =>
          api.call('PATCH', `/v1/tasks/${task.id}`, {
            token: owner.token,
            headers: { 'If-Match': etag },
            body: { title: `racer ${i}` },
          }),
        ),
      );
      const winners = replies.filter((r) => r.status === 200);
      const losers = replies.filter((r) => r.status !== 200);
      expect(replies.map((r) => r.status).sort(), 'statuses of the racing PATCHes').toEqual([
        200,
        ...Array<number>(CONCURRENT_PATCHES - 1).fill(412),
      ]);
      for (const r of losers) expectError(r, 412, 'PRECONDITION.FAILED');
      const won = expectOk(winners[0]!, 200, StrictTask);
      const { task: final } = await readTask(api, owner, task.id);
      expect(final.version).toBe(task.version + 1);
      expect(final.title).toBe(won.title);
    });
  });
}

/**
 * Who sees and changes what (no object leaks): owner, assignee, stranger and admin ×
 * read, list, patch (every field vs status only), delete, comment and read comments.
 * A stranger always gets 404, never 403; the assignee may change the status only (403
 * otherwise) and may comment; owner and admin may do everything.
 */
import type { Task } from '@taskman/shared/domain/task.schema';
import { describe, expect, it } from 'vitest';
import type { Account, ApiClient } from './client.ts';
import {
  CommentPage,
  createTask,
  expectEmpty,
  expectError,
  expectOk,
  listAll,
  readTask,
  StrictComment,
  StrictTask,
  sleep,
  TaskPage,
  uniqueLabel,
} from './expectations.ts';

type Role = 'owner' | 'assignee' | 'stranger' | 'admin';
const ROLES: Role[] = ['owner', 'assignee', 'stranger', 'admin'];

interface Cast {
  api: ApiClient;
  who: Record<Role, Account>;
  task: Task;
  label: string;
}

/** Four callers and one task owned by `owner`, assigned to `assignee`, with a unique label. */
async function cast(api: ApiClient): Promise<Cast> {
  const [owner, assignee, stranger] = [
    await api.member('owner'),
    await api.member('assignee'),
    await api.member('stranger'),
  ];
  const admin = await api.admin();
  const label = uniqueLabel('vis');
  const task = await createTask(api, owner, { title: 'Shared', assigneeId: assignee.uid, labels: [label] });
  return { api, who: { owner, assignee, stranger, admin }, task, label };
}

export function visibilitySuite(client: () => ApiClient): void {
  describe('task visibility', () => {
    it('GET /v1/tasks/{id}: owner, assignee and admin read it; a stranger gets 404', async () => {
      const { api, who, task } = await cast(client());
      for (const role of ROLES) {
        const r = await api.call('GET', `/v1/tasks/${task.id}`, { token: who[role].token });
        if (role === 'stranger') expectError(r, 404, 'TASK.NOT_FOUND');
        else expect(expectOk(r, 200, StrictTask), role).toEqual(task);
      }
      // The stranger's 404 is the same as for a task that does not exist.
      const missing = await api.call('GET', '/v1/tasks/AAAAAAAAAAAAAAAAAAAA', { token: who.stranger.token });
      const hidden = await api.call('GET', `/v1/tasks/${task.id}`, { token: who.stranger.token });
      expect(expectError(hidden, 404).message).toBe(expectError(missing, 404).message);
    });

    it('GET /v1/tasks: owner and assignee list it, a stranger does not, the admin does', async () => {
      const { api, who, task, label } = await cast(client());
      const own = await createTask(api, who.stranger, { title: "stranger's own", labels: [label] });
      const ids = async (role: Role, query: string) =>
        (await listAll(api, who[role], `/v1/tasks?${query}`, TaskPage)).map((t) => t.id);
      expect(await ids('owner', '')).toEqual([task.id]);
      expect(await ids('assignee', '')).toEqual([task.id]);
      expect(await ids('stranger', '')).toEqual([own.id]);
      expect(await ids('stranger', `label=${label}`)).toEqual([own.id]);
      expect(await ids('stranger', `assigneeId=${who.assignee.uid}`)).toEqual([]);
      expect((await ids('admin', `label=${label}`)).sort()).toEqual([task.id, own.id].sort());
      expect(await ids('admin', `assigneeId=${who.assignee.uid}`)).toEqual([task.id]);
    });

    it('PATCH every field: owner and admin may; the assignee gets 403 TASK.FORBIDDEN_FIELD; a stranger 404', async () => {
      const { api, who, task } = await cast(client());
      const patch = (role: Role, body: Record<string, unknown>) =>
        api.call('PATCH', `/v1/tasks/${task.id}`, { token: who[role].token, body });

      expectError(await patch('stranger', { title: 'Mine now' }), 404, 'TASK.NOT_FOUND');
      for (const body of [
        { title: 'Assignee edit' },
        { priority: 'URGENT' },
        { assigneeId: who.assignee.uid },
        { status: 'IN_PROGRESS', description: 'and more' },
      ]) {
        const error = expectError(await patch('assignee', body), 403, 'TASK.FORBIDDEN_FIELD');
        expect(error.details?.fields).toEqual(Object.keys(body).filter((k) => k !== 'status'));
      }
      expect((await readTask(api, who.owner, task.id)).task).toEqual(task);

      const byOwner = expectOk(
        await patch('owner', { title: 'Owner edit', priority: 'HIGH' }),
        200,
        StrictTask,
      );
      expect(byOwner).toMatchObject({ title: 'Owner edit', priority: 'HIGH', version: task.version + 1 });
      const byAdmin = expectOk(await patch('admin', { title: 'Admin edit', labels: [] }), 200, StrictTask);
      expect(byAdmin).toMatchObject({ title: 'Admin edit', labels: [], version: task.version + 2 });
      expect(byAdmin.ownerId).toBe(who.owner.uid);
    });

    it('PATCH the status only: owner, assignee and admin may; a stranger gets 404', async () => {
      const { api, who, task } = await cast(client());
      const status = (role: Role, value: string) =>
        api.call('PATCH', `/v1/tasks/${task.id}`, { token: who[role].token, body: { status: value } });
      expectError(await status('stranger', 'IN_PROGRESS'), 404, 'TASK.NOT_FOUND');
      expect(expectOk(await status('assignee', 'IN_PROGRESS'), 200, StrictTask).status).toBe('IN_PROGRESS');
      expect(expectOk(await status('owner', 'PENDING'), 200, StrictTask).status).toBe('PENDING');
      expect(expectOk(await status('admin', 'CANCELLED'), 200, StrictTask).status).toBe('CANCELLED');
      expect((await readTask(api, who.owner, task.id)).task.version).toBe(task.version + 3);
    });

    it('DELETE: a stranger gets 404, the assignee 403, the owner and the admin 204', async () => {
      const { api, who, task } = await cast(client());
      const del = (role: Role, id: string) =>
        api.call('DELETE', `/v1/tasks/${id}`, { token: who[role].token });
      expectError(await del('stranger', task.id), 404, 'TASK.NOT_FOUND');
      expectError(await del('assignee', task.id), 403, 'AUTH.FORBIDDEN');
      expect((await readTask(api, who.owner, task.id)).task).toEqual(task);
      expectEmpty(await del('owner', task.id), 204);
      expectError(await api.call('GET', `/v1/tasks/${task.id}`, { token: who.assignee.token }), 404);

      const other = await createTask(api, who.owner, { assigneeId: who.assignee.uid });
      expectEmpty(await del('admin', other.id), 204);
      expectError(await api.call('GET', `/v1/tasks/${other.id}`, { token: who.owner.token }), 404);
    });

    it('comments: owner, assignee and admin comment and read them all; a stranger gets 404 for both', async () => {
      const { api, who, task } = await cast(client());
      const path = `/v1/tasks/${task.id}/comments`;
      const written: string[] = [];
      for (const role of ROLES) {
        const r = await api.call('POST', path, { token: who[role].token, body: { body: `from ${role}` } });
        if (role === 'stranger') {
          expectError(r, 404, 'TASK.NOT_FOUND');
          continue;
        }
        const comment = expectOk(r, 201, StrictComment);
        expect(comment).toMatchObject({ taskId: task.id, authorId: who[role].uid, body: `from ${role}` });
        written.push(comment.id);
        await sleep(3); // distinct creation times, so "oldest first" has one answer
      }
      for (const role of ROLES) {
        if (role === 'stranger') {
          expectError(await api.call('GET', path, { token: who[role].token }), 404, 'TASK.NOT_FOUND');
          continue;
        }
        const all = await listAll(api, who[role], path, CommentPage);
        expect(
          all.map((c) => c.id),
          role,
        ).toEqual(written);
      }
    });

    it('an assignee removed from the task no longer sees it', async () => {
      const { api, who, task } = await cast(client());
      expectOk(
        await api.call('PATCH', `/v1/tasks/${task.id}`, {
          token: who.owner.token,
          body: { assigneeId: null },
        }),
        200,
        StrictTask,
      );
      expectError(await api.call('GET', `/v1/tasks/${task.id}`, { token: who.assignee.token }), 404);
      expect(await listAll(api, who.assignee, '/v1/tasks', TaskPage)).toEqual([]);
      const status = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: who.assignee.token,
        body: { status: 'IN_PROGRESS' },
      });
      expectError(status, 404, 'TASK.NOT_FOUND');
    });

    it('a new assignee sees the task at once', async () => {
      const { api, who, task } = await cast(client());
      const next = await api.member('next');
      expectOk(
        await api.call('PATCH', `/v1/tasks/${task.id}`, {
          token: who.owner.token,
          body: { assigneeId: next.uid },
        }),
        200,
        StrictTask,
      );
      expect((await readTask(api, next, task.id)).task.assigneeId).toBe(next.uid);
      expect((await listAll(api, next, '/v1/tasks', TaskPage)).map((t) => t.id)).toEqual([task.id]);
    });
  });
}

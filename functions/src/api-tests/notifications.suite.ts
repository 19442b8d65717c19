/**
 * In-app notifications through the API, made by the event consumers: a welcome after
 * register; the assignee told of an assignment (at creation and by a change); the owner
 * told when the assignee changes the status; one notification per event; marking one and
 * all read; someone else's notification is a 404. Events arrive asynchronously, so every
 * check of a notification polls with a deadline.
 */
import { describe, expect, it } from 'vitest';
import type { Account, ApiClient } from './client.ts';
import { NotificationPage, notificationsOf, waitForNotifications, welcomeOf } from './event-effects.ts';
import { createTask, expectEmpty, expectError, expectOk, sleep } from './expectations.ts';

async function unread(api: ApiClient, who: Account) {
  return expectOk(
    await api.call('GET', '/v1/notifications?unread=true&limit=100', { token: who.token }),
    200,
    NotificationPage,
  ).items;
}

export function notificationsSuite(client: () => ApiClient): void {
  describe('notifications', () => {
    it('a new account gets one welcome notification, unread', async () => {
      const api = client();
      const m = await api.member('welcome');
      const welcome = await welcomeOf(api, m);
      expect(welcome).toMatchObject({
        userId: m.uid,
        type: 'welcome',
        entityType: 'user',
        entityId: m.uid,
        read: false,
      });
      expect(welcome.title).not.toBe('');
      expect((await unread(api, m)).map((n) => n.id)).toEqual([welcome.id]);
      // A straggling duplicate delivery would show up as a second welcome.
      await sleep(500);
      expect((await notificationsOf(api, m)).filter((n) => n.type === 'welcome')).toHaveLength(1);
    });

    it('the assignee is told of a task created for them, and of a reassignment to them', async () => {
      const api = client();
      const [owner, first, second] = await Promise.all([
        api.member('owner'),
        api.member('assignee'),
        api.member('assignee'),
      ]);
      const task = await createTask(api, owner, { title: 'Review the plan', assigneeId: first.uid });
      const [assigned] = await waitForNotifications(
        api,
        first,
        (n) => n.type === 'task.assigned' && n.entityId === task.id,
      );
      expect(assigned).toMatchObject({ userId: first.uid, entityType: 'task', read: false });
      expect(assigned?.body).toContain('Review the plan');

      const r = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: owner.token,
        body: { assigneeId: second.uid },
      });
      expect(r.status).toBe(200);
      await waitForNotifications(api, second, (n) => n.type === 'task.assigned' && n.entityId === task.id);
      // The owner did both; nothing tells them of their own acts.
      await welcomeOf(api, owner);
      expect((await notificationsOf(api, owner)).filter((n) => n.entityId === task.id)).toEqual([]);
    });

    it('the owner is told when the assignee changes the status', async () => {
      const api = client();
      const [owner, assignee] = await Promise.all([api.member('owner'), api.member('assignee')]);
      const task = await createTask(api, owner, { title: 'Ship it', assigneeId: assignee.uid });
      const r = await api.call('PATCH', `/v1/tasks/${task.id}`, {
        token: assignee.token,
        body: { status: 'IN_PROGRESS' },
      });
      expect(r.status).toBe(200);
      const [changed] = await waitForNotifications(
        api,
        owner,
        (n) => n.type === 'task.status_changed' && n.entityId === task.id,
      );
      expect(changed).toMatchObject({ userId: owner.uid, entityType: 'task', read: false });
      expect(changed?.body).toContain('IN_PROGRESS');
    });

    it('marking one read, then all: 204 each, and unread lists shrink', async () => {
      const api = client();
      const [owner, assignee] = await Promise.all([api.member('owner'), api.member('assignee')]);
      for (const title of ['One', 'Two']) await createTask(api, owner, { title, assigneeId: assignee.uid });
      await welcomeOf(api, assignee);
      const mine = await waitForNotifications(api, assignee, (n) => n.type === 'task.assigned', 2);
      expectEmpty(
        await api.call('POST', `/v1/notifications/${mine[0]!.id}/read`, { token: assignee.token }),
        204,
      );
      // Again: still 204 (already read).
      expectEmpty(
        await api.call('POST', `/v1/notifications/${mine[0]!.id}/read`, { token: assignee.token }),
        204,
      );
      const left = await unread(api, assignee);
      expect(left.map((n) => n.id)).not.toContain(mine[0]!.id);
      expect(left).toHaveLength(2);
      expectEmpty(await api.call('POST', '/v1/notifications/read-all', { token: assignee.token }), 204);
      expect(await unread(api, assignee)).toEqual([]);
      expect((await notificationsOf(api, assignee)).every((n) => n.read)).toBe(true);
    });

    it("someone else's notification is a 404, and stays unread", async () => {
      const api = client();
      const [a, b] = await Promise.all([api.member('a'), api.member('b')]);
      const welcome = await welcomeOf(api, a);
      expectError(
        await api.call('POST', `/v1/notifications/${welcome.id}/read`, { token: b.token }),
        404,
        'NOTIFICATION.NOT_FOUND',
      );
      expectError(
        await api.call('POST', '/v1/notifications/AAAAAAAAAAAAAAAAAAAAAAAA/read', { token: b.token }),
        404,
        'NOTIFICATION.NOT_FOUND',
      );
      expectEmpty(await api.call('POST', '/v1/notifications/read-all', { token: b.token }), 204);
      expect((await unread(api, a)).map((n) => n.id)).toEqual([welcome.id]);
    });

    it('pages newest first', async () => {
      const api = client();
      const [owner, assignee] = await Promise.all([api.member('owner'), api.member('assignee')]);
      for (const title of ['1', '2', '3']) await createTask(api, owner, { title, assigneeId: assignee.uid });
      await welcomeOf(api, assignee);
      await waitForNotifications(api, assignee, (n) => n.type === 'task.assigned', 3);
      const all = await notificationsOf(api, assignee);
      const first = expectOk(
        await api.call('GET', '/v1/notifications?limit=2', { token: assignee.token }),
        200,
        NotificationPage,
      );
      expect(first.items).toEqual(all.slice(0, 2));
      expect(first.nextCursor).not.toBeNull();
      const sorted = [...all].sort((x, y) =>
        x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : 0,
      );
      expect(all.map((n) => n.createdAt)).toEqual(sorted.map((n) => n.createdAt));
    });
  });
}

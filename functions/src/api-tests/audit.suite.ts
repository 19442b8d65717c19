/**
 * The audit trail through the API: the admin's `GET /v1/audit` lists a task's created and
 * updated events (newest first, with actor and correlation id of the requests that caused
 * them), filters by actor, pages; a member gets 403. Entries arrive asynchronously, so the
 * checks poll with a deadline.
 */
import { describe, expect, it } from 'vitest';
import type { ApiClient } from './client.ts';
import { auditPage, eventually } from './event-effects.ts';
import { correlationId, createTask, expectError, expectOk, StrictTask } from './expectations.ts';

export function auditSuite(client: () => ApiClient): void {
  describe('audit', () => {
    it("lists a task's created and updated events, newest first, once each", async () => {
      const api = client();
      const [owner, admin] = await Promise.all([api.member('audited'), api.admin()]);
      const created = correlationId();
      const r = await api.call('POST', '/v1/tasks', {
        token: owner.token,
        body: { title: 'Audited' },
        headers: { 'X-Correlation-Id': created },
      });
      const task = expectOk(r, 201, StrictTask).id;
      const updated = correlationId();
      const p = await api.call('PATCH', `/v1/tasks/${task}`, {
        token: owner.token,
        body: { title: 'Audited again' },
        headers: { 'X-Correlation-Id': updated },
      });
      expect(p.status).toBe(200);
      const entries = await eventually(`audit entries of task ${task}`, async () => {
        const page = await auditPage(api, admin, `entityType=task&entityId=${task}&limit=10`);
        return {
          value: page.items.length >= 2 ? page.items : undefined,
          seen: page.items.map((i) => i.eventType),
        };
      });
      expect(entries.map((e) => [e.eventType, e.actorId, e.correlationId])).toEqual([
        ['task.updated', owner.uid, updated],
        ['task.created', owner.uid, created],
      ]);
      for (const e of entries) {
        expect(e).toMatchObject({ entityType: 'task', entityId: task, id: e.eventId });
        expect((e.data.task as { id?: string }).id).toBe(task);
      }
      expect(entries[0]!.occurredAt >= entries[1]!.occurredAt).toBe(true);

      const byActor = await auditPage(api, admin, `actorId=${owner.uid}&limit=10`);
      expect(byActor.items.filter((e) => e.entityId === task).map((e) => e.eventType)).toEqual([
        'task.updated',
        'task.created',
      ]);
      expect(byActor.items.every((e) => e.actorId === owner.uid)).toBe(true);

      const first = await auditPage(api, admin, `entityType=task&entityId=${task}&limit=1`);
      expect(first.items.map((e) => e.id)).toEqual([entries[0]!.id]);
      const second = await auditPage(
        api,
        admin,
        `entityType=task&entityId=${task}&limit=1&cursor=${encodeURIComponent(first.nextCursor ?? '')}`,
      );
      expect(second.items.map((e) => e.id)).toEqual([entries[1]!.id]);
    });

    it('records a registration under the user, by the user', async () => {
      const api = client();
      const [m, admin] = await Promise.all([api.member('registered'), api.admin()]);
      const [entry] = await eventually(`the registration of ${m.uid}`, async () => {
        const page = await auditPage(api, admin, `entityType=user&entityId=${m.uid}`);
        return { value: page.items.length > 0 ? page.items : undefined, seen: page.items };
      });
      expect(entry).toMatchObject({
        eventType: 'user.registered',
        entityType: 'user',
        entityId: m.uid,
        actorId: m.uid,
      });
    });

    it('a member gets 403', async () => {
      const api = client();
      const m = await api.member('curious');
      expectError(await api.call('GET', '/v1/audit', { token: m.token }), 403, 'AUTH.FORBIDDEN');
      await createTask(api, m);
      expectError(
        await api.call('GET', `/v1/audit?actorId=${m.uid}`, { token: m.token }),
        403,
        'AUTH.FORBIDDEN',
      );
    });
  });
}

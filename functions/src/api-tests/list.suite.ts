/**
 * Lists: each task filter, each sort with the order it must give, paging with limit and
 * cursor across pages (no duplicates, no gaps, stable when tasks are added between pages),
 * cursors refused for another query or when garbled, and limits outside 1..100. Each test
 * has a fresh owner, so their list holds exactly the tasks the test made.
 */
import type { Task } from '@taskman/shared/domain/task.schema';
import { describe, expect, it } from 'vitest';
import type { Account, ApiClient } from './client.ts';
import {
  CommentPage,
  createTask,
  expectError,
  expectOk,
  expectValidation,
  listAll,
  StrictComment,
  sleep,
  TaskPage,
} from './expectations.ts';

const RANK = { LOW: 0, MEDIUM: 1, HIGH: 2, URGENT: 3 } as const;

/** Creates tasks one after another, with distinct creation times. */
async function createInOrder(
  api: ApiClient,
  owner: Account,
  bodies: Record<string, unknown>[],
): Promise<Task[]> {
  const tasks: Task[] = [];
  for (const [i, body] of bodies.entries()) {
    tasks.push(await createTask(api, owner, { title: `task ${i}`, ...body }));
    await sleep(3);
  }
  return tasks;
}

async function page(api: ApiClient, who: Account, query: string) {
  return expectOk(await api.call('GET', `/v1/tasks?${query}`, { token: who.token }), 200, TaskPage);
}

/** Follows the cursors of `query` with `limit`, checking every page's size. */
async function walk(api: ApiClient, who: Account, query: string, limit: number): Promise<Task[][]> {
  const pages: Task[][] = [];
  let cursor: string | null = null;
  do {
    const q: string = `${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const body = await page(api, who, q);
    expect(body.items.length).toBeLessThanOrEqual(limit);
    pages.push(body.items);
    cursor = body.nextCursor;
    expect(pages.length).toBeLessThan(100);
  } while (cursor);
  return pages;
}

const ids = (tasks: Task[]) => tasks.map((t) => t.id);
const newestFirst = (tasks: Task[]) => [...tasks].reverse();

export function listSuite(client: () => ApiClient): void {
  describe('GET /v1/tasks filters', () => {
    it('filters by status, priority, assigneeId, label, dueBefore and dueAfter', async () => {
      const api = client();
      const [owner, helper] = [await api.member('owner'), await api.member('helper')];
      const tasks = await createInOrder(api, owner, [
        {
          status: 'PENDING',
          priority: 'LOW',
          dueDate: '2030-01-10T00:00:00Z',
          labels: ['x'],
          assigneeId: helper.uid,
        },
        { status: 'IN_PROGRESS', priority: 'HIGH', dueDate: '2030-01-20T00:00:00Z', labels: ['y'] },
        { status: 'COMPLETED', priority: 'URGENT', labels: ['x', 'y'], assigneeId: helper.uid },
        { status: 'CANCELLED', priority: 'MEDIUM', dueDate: '2030-01-30T00:00:00Z' },
        { status: 'IN_PROGRESS', priority: 'HIGH', dueDate: '2030-02-15T00:00:00Z', labels: ['x'] },
      ]);
      const due = (t: Task) => (t.dueDate ? Date.parse(t.dueDate) : Number.NaN);
      const cases: [string, (t: Task) => boolean][] = [
        ['', () => true],
        ['status=IN_PROGRESS', (t) => t.status === 'IN_PROGRESS'],
        ['status=CANCELLED', (t) => t.status === 'CANCELLED'],
        ['priority=HIGH', (t) => t.priority === 'HIGH'],
        ['priority=LOW', (t) => t.priority === 'LOW'],
        [`assigneeId=${helper.uid}`, (t) => t.assigneeId === helper.uid],
        ['label=x', (t) => t.labels.includes('x')],
        ['label=y', (t) => t.labels.includes('y')],
        ['label=zzz', () => false],
        ['dueBefore=2030-01-25T00:00:00Z', (t) => due(t) < Date.parse('2030-01-25T00:00:00Z')],
        ['dueAfter=2030-01-15T00:00:00Z', (t) => due(t) > Date.parse('2030-01-15T00:00:00Z')],
        [
          'dueAfter=2030-01-15T00:00:00Z&dueBefore=2030-01-25T00:00:00Z',
          (t) => due(t) > Date.parse('2030-01-15T00:00:00Z') && due(t) < Date.parse('2030-01-25T00:00:00Z'),
        ],
        ['dueBefore=2030-01-25T02:00:00%2B02:00', (t) => due(t) < Date.parse('2030-01-25T00:00:00Z')],
        ['status=IN_PROGRESS&label=x', (t) => t.status === 'IN_PROGRESS' && t.labels.includes('x')],
        [`priority=HIGH&assigneeId=${helper.uid}`, () => false],
      ];
      for (const [query, keep] of cases) {
        const got = await page(api, owner, `${query}&limit=100`);
        expect(ids(got.items), query).toEqual(ids(newestFirst(tasks.filter(keep))));
        expect(got.nextCursor).toBeNull();
      }
      // The assignee sees the tasks assigned to them, with the same filters.
      const assigned = await page(api, helper, 'label=x');
      expect(ids(assigned.items)).toEqual(ids(newestFirst(tasks.filter((t) => t.assigneeId === helper.uid))));
    });

    it('gives 400 naming the parameter for a bad filter value', async () => {
      const api = client();
      const owner = await api.member('owner');
      const cases: [string, string][] = [
        ['status=DONE', 'query.status'],
        ['status=pending', 'query.status'],
        ['priority=CRITICAL', 'query.priority'],
        ['assigneeId=a%20b', 'query.assigneeId'],
        ['label=a%23b', 'query.label'],
        ['dueBefore=tomorrow', 'query.dueBefore'],
        ['dueAfter=2030-13-01T00:00:00Z', 'query.dueAfter'],
        ['sort=title', 'query.sort'],
        ['owner=me', 'query.owner'],
      ];
      for (const [query, path] of cases) {
        expectValidation(await api.call('GET', `/v1/tasks?${query}`, { token: owner.token }), path);
      }
    });
  });

  describe('GET /v1/tasks sorts', () => {
    // Created in an order unlike both the due-date and the priority order.
    const BODIES = [
      { priority: 'HIGH', dueDate: '2030-03-01T00:00:00Z' },
      { priority: 'LOW', dueDate: '2030-01-01T00:00:00Z' },
      { priority: 'URGENT', dueDate: '2030-05-01T00:00:00Z' },
      { priority: 'MEDIUM', dueDate: '2030-02-01T00:00:00Z' },
      { priority: 'LOW', dueDate: '2030-04-01T00:00:00Z' },
      { priority: 'HIGH', dueDate: '2029-12-01T00:00:00Z' },
    ] as const;

    const byCreated = (tasks: Task[]) => ids(tasks);
    const byDue = (tasks: Task[]) => ids([...tasks].sort((a, b) => a.dueDate!.localeCompare(b.dueDate!)));
    const expected: Record<string, (tasks: Task[]) => string[]> = {
      createdAt: byCreated,
      '-createdAt': (t) => byCreated(t).reverse(),
      dueDate: byDue,
      '-dueDate': (t) => byDue(t).reverse(),
    };

    for (const sort of Object.keys(expected)) {
      it(`sort=${sort} gives that order`, async () => {
        const api = client();
        const owner = await api.member('owner');
        const tasks = await createInOrder(api, owner, [...BODIES]);
        const got = await page(api, owner, `sort=${sort}`);
        expect(ids(got.items)).toEqual(expected[sort]!(tasks));
      });
    }

    for (const sort of ['priority', '-priority'] as const) {
      it(`sort=${sort} orders by priority rank`, async () => {
        const api = client();
        const owner = await api.member('owner');
        const tasks = await createInOrder(api, owner, [...BODIES]);
        const got = await page(api, owner, `sort=${sort}`);
        const ranks = got.items.map((t) => RANK[t.priority]);
        const sorted = [...ranks].sort((a, b) => a - b);
        expect(ranks).toEqual(sort === 'priority' ? sorted : sorted.reverse());
        expect([...ids(got.items)].sort()).toEqual([...ids(tasks)].sort());
      });
    }

    it('the default sort is -createdAt', async () => {
      const api = client();
      const owner = await api.member('owner');
      const tasks = await createInOrder(api, owner, [...BODIES]);
      expect(ids((await page(api, owner, '')).items)).toEqual(ids(newestFirst(tasks)));
    });

    it('sorting by due date keeps tasks without one in the list', async () => {
      const api = client();
      const owner = await api.member('owner');
      const tasks = await createInOrder(api, owner, [...BODIES, {}, {}]);
      for (const sort of ['dueDate', '-dueDate']) {
        const got = ids((await page(api, owner, `sort=${sort}`)).items);
        expect([...got].sort()).toEqual([...ids(tasks)].sort());
        const dated = expected[sort]!(tasks.filter((t) => t.dueDate));
        expect(got.filter((id) => dated.includes(id))).toEqual(dated);
      }
    });
  });

  describe('GET /v1/tasks paging', () => {
    for (const sort of ['-createdAt', 'createdAt', 'priority', '-priority', 'dueDate']) {
      it(`pages of 3 with sort=${sort} chain into the whole list, no duplicates, no gaps`, async () => {
        const api = client();
        const owner = await api.member('owner');
        const priorities = ['LOW', 'HIGH', 'LOW', 'URGENT', 'HIGH', 'MEDIUM', 'LOW'];
        const tasks = await createInOrder(
          api,
          owner,
          priorities.map((priority, i) => ({
            priority,
            dueDate: `2030-0${(i % 3) + 1}-0${i + 1}T00:00:00Z`,
          })),
        );
        const whole = await page(api, owner, `sort=${sort}&limit=100`);
        expect(whole.items).toHaveLength(tasks.length);
        const pages = await walk(api, owner, `sort=${sort}`, 3);
        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        const chained = pages.flat();
        expect(new Set(ids(chained)).size).toBe(chained.length);
        expect(ids(chained)).toEqual(ids(whole.items));
      });
    }

    it('pages through a filtered list with limit 1', async () => {
      const api = client();
      const owner = await api.member('owner');
      const tasks = await createInOrder(api, owner, [
        { labels: ['keep'] },
        { labels: ['drop'] },
        { labels: ['keep'] },
        { labels: ['keep', 'drop'] },
      ]);
      const pages = await walk(api, owner, 'label=keep', 1);
      expect(pages.map((p) => p.length)).toEqual([1, 1, 1]);
      expect(ids(pages.flat())).toEqual(ids(newestFirst(tasks.filter((t) => t.labels.includes('keep')))));
    });

    it('answers 20 items by default, and a cursor may continue with another limit', async () => {
      const api = client();
      const owner = await api.member('owner');
      const tasks = await createInOrder(
        api,
        owner,
        Array.from({ length: 23 }, () => ({})),
      );
      const first = await page(api, owner, '');
      expect(first.items).toHaveLength(20);
      expect(first.nextCursor).toEqual(expect.any(String));
      const rest = await page(api, owner, `limit=100&cursor=${encodeURIComponent(first.nextCursor!)}`);
      expect(rest.nextCursor).toBeNull();
      expect(ids([...first.items, ...rest.items])).toEqual(ids(newestFirst(tasks)));
    });

    it('stays stable when tasks are created and deleted between pages', async () => {
      const api = client();
      const owner = await api.member('owner');
      const tasks = await createInOrder(
        api,
        owner,
        Array.from({ length: 6 }, () => ({})),
      );
      for (const sort of ['-createdAt', 'createdAt']) {
        const first = await page(api, owner, `sort=${sort}&limit=2`);
        const added = await createTask(api, owner, { title: `added during ${sort}` });
        const rest: Task[] = [];
        let cursor = first.nextCursor;
        while (cursor) {
          const next = await page(api, owner, `sort=${sort}&limit=2&cursor=${encodeURIComponent(cursor)}`);
          rest.push(...next.items);
          cursor = next.nextCursor;
        }
        const seen = ids([...first.items, ...rest]);
        expect(new Set(seen).size).toBe(seen.length);
        const originals = sort === 'createdAt' ? ids(tasks) : ids(newestFirst(tasks));
        expect(seen.filter((id) => id !== added.id)).toEqual(originals);
        // Ascending, the newcomer comes after the cursor; descending, before it.
        expect(seen.includes(added.id)).toBe(sort === 'createdAt');
        expect((await api.call('DELETE', `/v1/tasks/${added.id}`, { token: owner.token })).status).toBe(204);
      }
    });

    it('refuses a cursor of another query with 400 REQUEST.BAD_CURSOR', async () => {
      const api = client();
      const [owner, other] = [await api.member('owner'), await api.member('other')];
      await createInOrder(api, owner, [
        { status: 'PENDING', labels: ['a'] },
        { status: 'PENDING', labels: ['a'] },
        { status: 'PENDING', labels: ['a'] },
      ]);
      const first = await page(api, owner, 'status=PENDING&limit=1');
      const cursor = encodeURIComponent(first.nextCursor!);
      // The same query continues.
      expectOk(
        await api.call('GET', `/v1/tasks?status=PENDING&limit=1&cursor=${cursor}`, { token: owner.token }),
        200,
        TaskPage,
      );
      for (const query of [
        'status=COMPLETED',
        '',
        'label=a',
        'status=PENDING&sort=priority',
        'sort=createdAt',
      ]) {
        const r = await api.call('GET', `/v1/tasks?${query}&cursor=${cursor}`, { token: owner.token });
        const error = expectError(r, 400, 'REQUEST.BAD_CURSOR');
        expect(error.details).toEqual({ issues: [{ path: 'cursor', reason: expect.any(String) }] });
      }
      // Another user's list is another query.
      const r = await api.call('GET', `/v1/tasks?status=PENDING&cursor=${cursor}`, { token: other.token });
      expectError(r, 400, 'REQUEST.BAD_CURSOR');
    });

    it('refuses garbled cursors with 400', async () => {
      const api = client();
      const owner = await api.member('owner');
      await createInOrder(api, owner, [{}, {}]);
      const real = (await page(api, owner, 'limit=1')).nextCursor!;
      const decoded = JSON.parse(Buffer.from(real, 'base64url').toString('utf8')) as {
        p: unknown[];
        q: string;
      };
      const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const garbage = [
        'garbage',
        '!!!!',
        forge({}),
        forge(null),
        forge([1, 2]),
        forge({ ...decoded, q: 'AAAAAAAAAAAA' }),
        forge({ ...decoded, p: [...decoded.p, 'extra'] }),
        forge({ ...decoded, p: decoded.p.map((v, i) => (i === decoded.p.length - 1 ? '../../etc' : v)) }),
        forge({ ...decoded, p: decoded.p.map(() => ({ $gt: '' })) }),
        real.slice(0, -3),
        `${real}x`,
      ];
      for (const cursor of garbage) {
        const r = await api.call('GET', `/v1/tasks?limit=1&cursor=${encodeURIComponent(cursor)}`, {
          token: owner.token,
        });
        expectError(r, 400);
        expect((r.json as { error: { code: string } }).error.code, cursor).toMatch(/^REQUEST\./);
      }
      expectValidation(await api.call('GET', '/v1/tasks?cursor=', { token: owner.token }), 'query.cursor');
      expectValidation(
        await api.call('GET', `/v1/tasks?cursor=${'A'.repeat(3_000)}`, { token: owner.token }),
        'query.cursor',
      );
    });

    it('refuses limits outside 1..100 with 400 naming query.limit', async () => {
      const api = client();
      const owner = await api.member('owner');
      for (const limit of ['0', '101', 'abc', '-1', '1.5', '', '1e3']) {
        expectValidation(
          await api.call('GET', `/v1/tasks?limit=${limit}`, { token: owner.token }),
          'query.limit',
        );
      }
      for (const limit of ['1', '100']) {
        expectOk(await api.call('GET', `/v1/tasks?limit=${limit}`, { token: owner.token }), 200, TaskPage);
      }
    });
  });

  describe('GET /v1/tasks/{id}/comments paging', () => {
    it('lists comments oldest first across pages', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      const written: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await api.call('POST', `/v1/tasks/${task.id}/comments`, {
          token: owner.token,
          body: { body: `comment ${i}` },
        });
        written.push(expectOk(r, 201, StrictComment).id);
        await sleep(3);
      }
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/tasks/${task.id}/comments?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const body = expectOk(await api.call('GET', url, { token: owner.token }), 200, CommentPage);
        pages.push(body.items.map((c) => c.id));
        cursor = body.nextCursor;
      } while (cursor);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(pages.flat()).toEqual(written);
      expect(ids(await listAll(api, owner, '/v1/tasks', TaskPage))).toEqual([task.id]);
      for (const limit of ['0', '101', 'abc']) {
        const r = await api.call('GET', `/v1/tasks/${task.id}/comments?limit=${limit}`, {
          token: owner.token,
        });
        expectValidation(r, 'query.limit');
      }
      const bad = await api.call('GET', `/v1/tasks/${task.id}/comments?cursor=garbage`, {
        token: owner.token,
      });
      expectError(bad, 400, 'REQUEST.BAD_CURSOR');
    });

    it('gives 400 for an empty, blank or over-long comment', async () => {
      const api = client();
      const owner = await api.member('owner');
      const task = await createTask(api, owner);
      for (const body of ['', '   ', 'c'.repeat(5_001)]) {
        const r = await api.call('POST', `/v1/tasks/${task.id}/comments`, {
          token: owner.token,
          body: { body },
        });
        expectValidation(r, 'body');
      }
      const ok = await api.call('POST', `/v1/tasks/${task.id}/comments`, {
        token: owner.token,
        body: { body: 'c'.repeat(5_000) },
      });
      expect(expectOk(ok, 201, StrictComment).body).toHaveLength(5_000);
      expect(await listAll(api, owner, `/v1/tasks/${task.id}/comments`, CommentPage)).toHaveLength(1);
    });
  });
}

/**
 * Bad input never breaks a function (QUALITY.md): for every route of the manifest, the
 * generated hostile requests of `hostile-cases.ts` (bodies, multipart uploads, query
 * strings, path ids) are each answered with a 4xx and the error body — none ≥ 500 — and
 * afterwards the state the route could change is exactly as before (tasks with their ETags,
 * comments, profiles, roles, the number of accounts, sessions, media and galleries).
 */
import type { Task } from '@taskman/shared/domain/task.schema';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { API } from '../manifest.ts';
import { type Account, type ApiClient, uniqueEmail } from './client.ts';
import { notificationsOf, welcomeOf } from './event-effects.ts';
import {
  CommentPage,
  createTask,
  errorProblems,
  expectOk,
  fixture,
  listAll,
  MediaPage,
  mapLimit,
  multipartBody,
  readTask,
  readyMedia,
  StrictComment,
  StrictMedia,
  StrictSession,
  StrictUser,
  TaskPage,
  UserPage,
} from './expectations.ts';
import {
  bodyCases,
  type HostileCase,
  idCases,
  multipartCases,
  queryCases,
  unexpectedBodyCases,
} from './hostile-cases.ts';
import { createWebhook, webhooksOf } from './webhook-effects.ts';

type RouteName = keyof typeof API;

const BODY_LIMIT = 256 * 1024;
/** The multipart upload's limit (API.md: one part `file` of at most 10 MiB). */
const MULTIPART_LIMIT = 10 * 1024 * 1024;
const IN_FLIGHT = 8;
const UPLOAD_IMAGE = fixture('Landscape_1.jpg');

/** What a route's hostile run needs: who calls, where, a valid body, and the state to compare. */
interface Target {
  token?: string;
  /** The route's path with a real id. */
  path: string;
  /** A body the contract accepts, for routes that take one. */
  valid?: Record<string, unknown>;
  /** A multipart body the route accepts, sent where a case keeps the body (multipart routes). */
  validMultipart?: { headers: Record<string, string>; raw: Buffer };
  /** Everything the route could change, read back through the API. */
  state(): Promise<unknown>;
}

/** An owner with two tasks (one with a comment) and the state of all of it. */
async function taskWorld(api: ApiClient) {
  const owner = await api.member('owner');
  const task = await createTask(api, owner, { labels: ['keep'], priority: 'HIGH' });
  await createTask(api, owner, { title: 'Other' });
  expectOk(
    await api.call('POST', `/v1/tasks/${task.id}/comments`, { token: owner.token, body: { body: 'First' } }),
    201,
    StrictComment,
  );
  const state = async () => {
    const tasks = await listAll(api, owner, '/v1/tasks', TaskPage);
    const etags = await Promise.all(
      tasks.map(async (t: Task) =>
        (await api.call('GET', `/v1/tasks/${t.id}`, { token: owner.token })).headers.get('etag'),
      ),
    );
    const comments = await listAll(api, owner, `/v1/tasks/${task.id}/comments`, CommentPage);
    return { tasks, etags, comments };
  };
  return { owner, task, state };
}

async function profile(api: ApiClient, who: Account) {
  return expectOk(await api.call('GET', '/v1/me', { token: who.token }), 200, StrictUser);
}

async function userCount(api: ApiClient): Promise<number> {
  const admin = await api.admin();
  return (await listAll(api, admin, '/v1/users', UserPage)).length;
}

/** A member whose profile, token and refresh token must all survive. */
async function sessionWorld(api: ApiClient) {
  const m = await api.member('session');
  const state = async () => {
    const me = await profile(api, m);
    const refreshed = await api.call('POST', '/v1/auth/refresh', { body: { refreshToken: m.refreshToken } });
    expectOk(refreshed, 200, StrictSession);
    return { me, users: await userCount(api) };
  };
  return { m, state };
}

const StrictGallery = z.strictObject({ items: z.array(StrictMedia) });

/**
 * An owner with a task and two processed media, one attached to the task, and the state of
 * it all: every media of the owner (status, variants, taskIds), the task with its ETag, the
 * gallery.
 */
async function mediaWorld(api: ApiClient) {
  const owner = await api.member('owner');
  const task = await createTask(api, owner);
  const attached = await readyMedia(api, owner);
  const loose = await readyMedia(api, owner);
  expectOk(
    await api.call('POST', `/v1/tasks/${task.id}/media`, {
      token: owner.token,
      body: { mediaId: attached.id },
    }),
    201,
    StrictMedia,
  );
  const state = async () => ({
    media: await listAll(api, owner, '/v1/media', MediaPage),
    task: await readTask(api, owner, task.id),
    gallery: expectOk(
      await api.call('GET', `/v1/tasks/${task.id}/media`, { token: owner.token }),
      200,
      StrictGallery,
    ).items,
  });
  return { owner, task, attached, loose, state };
}

/** A member with their welcome notification (unread), and all their notifications as state. */
async function notificationWorld(api: ApiClient) {
  const m = await api.member('notified');
  const welcome = await welcomeOf(api, m);
  return { m, welcome, state: () => notificationsOf(api, m) };
}

/** A member with one webhook, and all their webhooks as state. */
async function webhookWorld(api: ApiClient) {
  const m = await api.member('hooked');
  const hook = await createWebhook(api, m);
  return { m, hook, state: () => webhooksOf(api, m) };
}

const TARGETS: { [K in RouteName]: (api: ApiClient) => Promise<Target> } = {
  health: async () => ({ path: '/v1/health', state: async () => null }),
  openapi: async () => ({ path: '/v1/openapi.json', state: async () => null }),
  authRegister: async (api) => ({
    path: '/v1/auth/register',
    valid: { email: uniqueEmail('hostile'), password: 'password-123', displayName: 'Hostile' },
    state: () => userCount(api),
  }),
  authLogin: async (api) => {
    const { m, state } = await sessionWorld(api);
    return { path: '/v1/auth/login', valid: { email: m.email, password: m.password }, state };
  },
  authRefresh: async (api) => {
    const { m, state } = await sessionWorld(api);
    return { path: '/v1/auth/refresh', valid: { refreshToken: m.refreshToken }, state };
  },
  authLogout: async (api) => {
    const { m, state } = await sessionWorld(api);
    return { token: m.token, path: '/v1/auth/logout', state };
  },
  meGet: async (api) => {
    const m = await api.member('me');
    return { token: m.token, path: '/v1/me', state: () => profile(api, m) };
  },
  mePatch: async (api) => {
    const m = await api.member('me');
    expectOk(
      await api.call('PATCH', '/v1/me', { token: m.token, body: { preferences: { theme: 'dark' } } }),
      200,
      StrictUser,
    );
    return {
      token: m.token,
      path: '/v1/me',
      valid: { displayName: 'Changed', preferences: { theme: 'light' } },
      state: () => profile(api, m),
    };
  },
  usersList: async (api) => ({
    token: (await api.admin()).token,
    path: '/v1/users',
    state: () => userCount(api),
  }),
  usersGet: async (api) => {
    const m = await api.member('user');
    return { token: m.token, path: `/v1/users/${m.uid}`, state: () => profile(api, m) };
  },
  usersSetRole: async (api) => {
    const m = await api.member('target');
    return {
      token: (await api.admin()).token,
      path: `/v1/users/${m.uid}/role`,
      valid: { role: 'admin' },
      state: async () => ({ me: await profile(api, m), users: await userCount(api) }),
    };
  },
  tasksCreate: async (api) => {
    const { owner, state } = await taskWorld(api);
    return {
      token: owner.token,
      path: '/v1/tasks',
      valid: {
        title: 'Hostile',
        description: 'd',
        status: 'PENDING',
        priority: 'LOW',
        dueDate: '2030-01-01T00:00:00Z',
        assigneeId: null,
        labels: ['a'],
      },
      state,
    };
  },
  tasksList: async (api) => {
    const { owner, state } = await taskWorld(api);
    return { token: owner.token, path: '/v1/tasks', state };
  },
  tasksGet: async (api) => {
    const { owner, task, state } = await taskWorld(api);
    return { token: owner.token, path: `/v1/tasks/${task.id}`, state };
  },
  tasksPatch: async (api) => {
    const { owner, task, state } = await taskWorld(api);
    return {
      token: owner.token,
      path: `/v1/tasks/${task.id}`,
      valid: { title: 'Changed', status: 'IN_PROGRESS', labels: ['b'] },
      state,
    };
  },
  tasksDelete: async (api) => {
    const { owner, task, state } = await taskWorld(api);
    return { token: owner.token, path: `/v1/tasks/${task.id}`, state };
  },
  commentsCreate: async (api) => {
    const { owner, task, state } = await taskWorld(api);
    return { token: owner.token, path: `/v1/tasks/${task.id}/comments`, valid: { body: 'Hostile' }, state };
  },
  commentsList: async (api) => {
    const { owner, task, state } = await taskWorld(api);
    return { token: owner.token, path: `/v1/tasks/${task.id}/comments`, state };
  },
  mediaCreateUpload: async (api) => {
    const { owner, state } = await mediaWorld(api);
    return {
      token: owner.token,
      path: '/v1/media/uploads',
      valid: { filename: 'photo.jpg', contentType: 'image/jpeg', size: UPLOAD_IMAGE.length },
      state,
    };
  },
  mediaUpload: async (api) => {
    const { owner, state } = await mediaWorld(api);
    return {
      token: owner.token,
      path: '/v1/media',
      validMultipart: multipartBody({
        filename: 'photo.jpg',
        contentType: 'image/jpeg',
        bytes: UPLOAD_IMAGE,
      }),
      state,
    };
  },
  mediaList: async (api) => {
    const { owner, state } = await mediaWorld(api);
    return { token: owner.token, path: '/v1/media', state };
  },
  mediaGet: async (api) => {
    const { owner, attached, state } = await mediaWorld(api);
    return { token: owner.token, path: `/v1/media/${attached.id}`, state };
  },
  mediaDownload: async (api) => {
    const { owner, attached, state } = await mediaWorld(api);
    return { token: owner.token, path: `/v1/media/${attached.id}/download`, state };
  },
  mediaThumbnail: async (api) => {
    const { owner, attached, state } = await mediaWorld(api);
    return { token: owner.token, path: `/v1/media/${attached.id}/thumbnail`, state };
  },
  mediaOptimize: async (api) => {
    const { owner, attached, state } = await mediaWorld(api);
    return {
      token: owner.token,
      path: `/v1/media/${attached.id}/optimize`,
      valid: { format: 'webp', quality: 80, maxWidth: 640 },
      state,
    };
  },
  mediaDelete: async (api) => {
    const { owner, attached, state } = await mediaWorld(api);
    return { token: owner.token, path: `/v1/media/${attached.id}`, state };
  },
  taskMediaAttach: async (api) => {
    const { owner, task, loose, state } = await mediaWorld(api);
    return { token: owner.token, path: `/v1/tasks/${task.id}/media`, valid: { mediaId: loose.id }, state };
  },
  taskMediaDetach: async (api) => {
    const { owner, task, attached, state } = await mediaWorld(api);
    return { token: owner.token, path: `/v1/tasks/${task.id}/media/${attached.id}`, state };
  },
  taskMediaList: async (api) => {
    const { owner, task, state } = await mediaWorld(api);
    return { token: owner.token, path: `/v1/tasks/${task.id}/media`, state };
  },
  notificationsList: async (api) => {
    const { m, state } = await notificationWorld(api);
    return { token: m.token, path: '/v1/notifications', state };
  },
  notificationsRead: async (api) => {
    const { m, welcome, state } = await notificationWorld(api);
    return { token: m.token, path: `/v1/notifications/${welcome.id}/read`, state };
  },
  notificationsReadAll: async (api) => {
    const { m, state } = await notificationWorld(api);
    return { token: m.token, path: '/v1/notifications/read-all', state };
  },
  webhooksCreate: async (api) => {
    const { m, state } = await webhookWorld(api);
    return {
      token: m.token,
      path: '/v1/webhooks',
      valid: { url: 'http://127.0.0.1:9/hook', events: ['task.created', 'task.updated'] },
      state,
    };
  },
  webhooksList: async (api) => {
    const { m, state } = await webhookWorld(api);
    return { token: m.token, path: '/v1/webhooks', state };
  },
  webhooksDelete: async (api) => {
    const { m, hook, state } = await webhookWorld(api);
    return { token: m.token, path: `/v1/webhooks/${hook.id}`, state };
  },
  // A read: events of other tests may add entries meanwhile, so no state to compare.
  auditList: async (api) => ({
    token: (await api.admin()).token,
    path: '/v1/audit',
    state: async () => null,
  }),
};

/** The route's template with every `{param}` but `keep` filled from the target's real path. */
function templateKeeping(template: string, path: string, keep: string): string {
  const real = path.split('/');
  return template
    .split('/')
    .map((segment, i) =>
      /^\{\w+\}$/.test(segment) && segment !== `{${keep}}` ? (real[i] ?? segment) : segment,
    )
    .join('/');
}

/** Every hostile case of a route. */
function casesOf(name: RouteName, target: Target): HostileCase[] {
  const contract = API[name];
  const cases: HostileCase[] = [];
  if ('body' in contract && contract.body && target.valid) {
    cases.push(...bodyCases(contract.body as z.ZodType, target.valid, BODY_LIMIT));
  } else if ('multipart' in contract && contract.multipart) {
    cases.push(...multipartCases(UPLOAD_IMAGE, MULTIPART_LIMIT));
  } else {
    cases.push(...unexpectedBodyCases());
  }
  const query = 'query' in contract ? (contract.query as z.ZodObject) : undefined;
  cases.push(...queryCases(query));
  for (const param of contract.path.match(/(?<=\{)\w+(?=\})/g) ?? []) {
    cases.push(...idCases(templateKeeping(contract.path, target.path, param), param));
  }
  // A stale or garbled If-Match never passes for a write of a versioned task.
  if (contract.path === '/v1/tasks/{id}' && (contract.method === 'PATCH' || contract.method === 'DELETE')) {
    for (const ifMatch of ['"0"', '"', 'W/', 'x'.repeat(5_000), '"1" "1"']) {
      cases.push({
        label: `If-Match ${ifMatch.slice(0, 20)}`,
        headers: { 'If-Match': ifMatch },
        expect: 412,
        code: 'PRECONDITION.FAILED',
      });
    }
  }
  return cases;
}

export function hostileInputSuite(client: () => ApiClient): void {
  describe('bad input never breaks a function', () => {
    for (const name of Object.keys(API) as RouteName[]) {
      const contract = API[name];
      it(`${contract.method} ${contract.path}: every hostile request is a 4xx with the error body, state unchanged`, async () => {
        const api = client();
        const target = await TARGETS[name](api);
        const before = await target.state();
        const cases = casesOf(name, target);
        const problems = await mapLimit(cases, IN_FLIGHT, async (c) => {
          const headers: Record<string, string> = { ...c.headers };
          let raw: string | Buffer | undefined;
          if (c.raw === undefined) {
            if (target.valid) {
              raw = JSON.stringify(target.valid);
              headers['Content-Type'] = 'application/json';
            } else if (target.validMultipart) {
              raw = target.validMultipart.raw;
              Object.assign(headers, target.validMultipart.headers);
            }
          } else if (c.raw !== null) {
            raw = c.raw;
            headers['Content-Type'] = c.contentType ?? 'application/json';
          }
          const reply = await api.call(contract.method, `${c.path ?? target.path}${c.query ?? ''}`, {
            headers,
            ...(target.token !== undefined ? { token: target.token } : {}),
            ...(raw !== undefined ? { raw } : {}),
          });
          return errorProblems(reply, c.expect, c.code).map((p) => `${c.label}: ${p}`);
        });
        expect(problems.flat().join('\n')).toBe('');
        expect(await target.state()).toEqual(before);
        expect(cases.length).toBeGreaterThanOrEqual(7);
      });
    }
  });
}

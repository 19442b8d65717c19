/**
 * Every route of the manifest, once each: a valid request answers the contract's success
 * status with a body its response schema accepts (a redirect: no body and a `Location`),
 * `X-Request-Id` and the echoed `X-Correlation-Id`; every route that needs a token answers
 * 401 without one; the OpenAPI document describes every route; health reports its
 * dependencies.
 */
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { API } from '../manifest.ts';
import { type ApiClient, type CallOptions, uniqueEmail } from './client.ts';
import { welcomeOf } from './event-effects.ts';
import {
  correlationId,
  createTask,
  expectEmpty,
  expectError,
  expectOk,
  expectRequestId,
  fixture,
  multipartBody,
  readyMedia,
  StrictMedia,
  show,
  uploadMultipart,
} from './expectations.ts';
import { createWebhook } from './webhook-effects.ts';

type RouteName = keyof typeof API;

interface Example {
  path: string;
  options?: CallOptions;
  /** Which success status this request gets, where the contract has several. */
  status?: number;
}

/** An owner with a task and a media item (processed when `ready`), attached when `attached`. */
async function mediaWorld(api: ApiClient, options: { ready?: boolean; attached?: boolean } = {}) {
  const owner = await api.member('owner');
  const media = options.ready
    ? await readyMedia(api, owner)
    : await uploadMultipart(api, owner, 'Landscape_1.jpg');
  const task = await createTask(api, owner);
  if (options.attached) {
    const r = await api.call('POST', `/v1/tasks/${task.id}/media`, {
      token: owner.token,
      body: { mediaId: media.id },
    });
    expectOk(r, 201, StrictMedia);
  }
  return { owner, media, task };
}

/** A valid request of each route, with whatever it needs created first. */
const EXAMPLES: { [K in RouteName]: (api: ApiClient) => Promise<Example> } = {
  health: async () => ({ path: '/v1/health' }),
  openapi: async () => ({ path: '/v1/openapi.json' }),
  authRegister: async () => ({
    path: '/v1/auth/register',
    options: { body: { email: uniqueEmail('route'), password: 'password-123', displayName: 'Route' } },
  }),
  authLogin: async (api) => {
    const m = await api.member('login');
    return { path: '/v1/auth/login', options: { body: { email: m.email, password: m.password } } };
  },
  authRefresh: async (api) => {
    const m = await api.member('refresh');
    return { path: '/v1/auth/refresh', options: { body: { refreshToken: m.refreshToken } } };
  },
  authLogout: async (api) => ({
    path: '/v1/auth/logout',
    options: { token: (await api.member('out')).token },
  }),
  meGet: async (api) => ({ path: '/v1/me', options: { token: (await api.member('me')).token } }),
  mePatch: async (api) => ({
    path: '/v1/me',
    options: { token: (await api.member('me')).token, body: { displayName: 'Renamed' } },
  }),
  usersList: async (api) => ({ path: '/v1/users?limit=5', options: { token: (await api.admin()).token } }),
  usersGet: async (api) => {
    const m = await api.member('self');
    return { path: `/v1/users/${m.uid}`, options: { token: m.token } };
  },
  usersSetRole: async (api) => {
    const m = await api.member('role');
    return {
      path: `/v1/users/${m.uid}/role`,
      options: { token: (await api.admin()).token, body: { role: 'member' } },
    };
  },
  tasksCreate: async (api) => ({
    path: '/v1/tasks',
    options: { token: (await api.member('owner')).token, body: { title: 'Write the tests' } },
  }),
  tasksList: async (api) => {
    const m = await api.member('owner');
    await createTask(api, m);
    return { path: '/v1/tasks?limit=10', options: { token: m.token } };
  },
  tasksGet: async (api) => {
    const m = await api.member('owner');
    const t = await createTask(api, m);
    return { path: `/v1/tasks/${t.id}`, options: { token: m.token } };
  },
  tasksPatch: async (api) => {
    const m = await api.member('owner');
    const t = await createTask(api, m);
    return { path: `/v1/tasks/${t.id}`, options: { token: m.token, body: { title: 'Renamed' } } };
  },
  tasksDelete: async (api) => {
    const m = await api.member('owner');
    const t = await createTask(api, m);
    return { path: `/v1/tasks/${t.id}`, options: { token: m.token } };
  },
  commentsCreate: async (api) => {
    const m = await api.member('owner');
    const t = await createTask(api, m);
    return { path: `/v1/tasks/${t.id}/comments`, options: { token: m.token, body: { body: 'Looks good' } } };
  },
  commentsList: async (api) => {
    const m = await api.member('owner');
    const t = await createTask(api, m);
    return { path: `/v1/tasks/${t.id}/comments`, options: { token: m.token } };
  },
  mediaCreateUpload: async (api) => ({
    path: '/v1/media/uploads',
    options: {
      token: (await api.member('owner')).token,
      body: { filename: 'photo.jpg', contentType: 'image/jpeg', size: 139_435 },
    },
  }),
  mediaUpload: async (api) => ({
    path: '/v1/media',
    options: {
      token: (await api.member('owner')).token,
      ...multipartBody({
        filename: 'Landscape_1.jpg',
        contentType: 'image/jpeg',
        bytes: fixture('Landscape_1.jpg'),
      }),
    },
  }),
  mediaList: async (api) => {
    const { owner } = await mediaWorld(api);
    return { path: '/v1/media?limit=10', options: { token: owner.token } };
  },
  mediaGet: async (api) => {
    const { owner, media } = await mediaWorld(api);
    return { path: `/v1/media/${media.id}`, options: { token: owner.token } };
  },
  mediaDownload: async (api) => {
    const { owner, media } = await mediaWorld(api);
    return { path: `/v1/media/${media.id}/download`, options: { token: owner.token } };
  },
  mediaThumbnail: async (api) => {
    const { owner, media } = await mediaWorld(api, { ready: true });
    return { path: `/v1/media/${media.id}/thumbnail?size=small`, options: { token: owner.token } };
  },
  mediaOptimize: async (api) => {
    const { owner, media } = await mediaWorld(api, { ready: true });
    return {
      path: `/v1/media/${media.id}/optimize`,
      options: { token: owner.token, body: { format: 'webp' } },
    };
  },
  mediaDelete: async (api) => {
    const { owner, media } = await mediaWorld(api);
    return { path: `/v1/media/${media.id}`, options: { token: owner.token } };
  },
  taskMediaAttach: async (api) => {
    const { owner, media, task } = await mediaWorld(api);
    return {
      path: `/v1/tasks/${task.id}/media`,
      options: { token: owner.token, body: { mediaId: media.id } },
      status: 201,
    };
  },
  taskMediaDetach: async (api) => {
    const { owner, media, task } = await mediaWorld(api, { attached: true });
    return { path: `/v1/tasks/${task.id}/media/${media.id}`, options: { token: owner.token } };
  },
  taskMediaList: async (api) => {
    const { owner, task } = await mediaWorld(api, { attached: true });
    return { path: `/v1/tasks/${task.id}/media`, options: { token: owner.token } };
  },
  notificationsList: async (api) => ({
    path: '/v1/notifications?limit=10&unread=true',
    options: { token: (await api.member('notified')).token },
  }),
  notificationsRead: async (api) => {
    const m = await api.member('notified');
    const welcome = await welcomeOf(api, m);
    return { path: `/v1/notifications/${welcome.id}/read`, options: { token: m.token } };
  },
  notificationsReadAll: async (api) => ({
    path: '/v1/notifications/read-all',
    options: { token: (await api.member('notified')).token },
  }),
  webhooksCreate: async (api) => ({
    path: '/v1/webhooks',
    options: {
      token: (await api.member('hooked')).token,
      body: { url: 'http://127.0.0.1:9/hook', events: ['task.created'] },
    },
  }),
  webhooksList: async (api) => {
    const m = await api.member('hooked');
    await createWebhook(api, m);
    return { path: '/v1/webhooks?limit=10', options: { token: m.token } };
  },
  webhooksDelete: async (api) => {
    const m = await api.member('hooked');
    const hook = await createWebhook(api, m);
    return { path: `/v1/webhooks/${hook.id}`, options: { token: m.token } };
  },
  auditList: async (api) => ({ path: '/v1/audit?limit=5', options: { token: (await api.admin()).token } }),
};

/**
 * The success status of a contract: its one 2xx or redirect (304 is a reply to a
 * conditional request, not a success of its own), or the one the example names.
 */
function successStatus(responses: Record<number, z.ZodType | null>, chosen?: number): number {
  const statuses = Object.keys(responses)
    .map(Number)
    .filter((s) => s >= 200 && s < 400 && s !== 304);
  if (chosen !== undefined) {
    expect(statuses).toContain(chosen);
    return chosen;
  }
  expect(statuses).toHaveLength(1);
  return statuses[0]!;
}

/** A path of the route with `{param}` segments filled with a well-formed, unknown id. */
function concretePath(template: string): string {
  return template.replace(/\{\w+\}/g, 'AAAAAAAAAAAAAAAAAAAA');
}

/** A body the route accepts, so that only the token decides the answer. */
const VALID_BODIES: Partial<Record<RouteName, Pick<CallOptions, 'body' | 'raw' | 'headers'>>> = {
  mePatch: { body: { displayName: 'x' } },
  usersSetRole: { body: { role: 'admin' } },
  tasksCreate: { body: { title: 'x' } },
  tasksPatch: { body: { title: 'x' } },
  commentsCreate: { body: { body: 'x' } },
  mediaCreateUpload: { body: { filename: 'x.jpg', contentType: 'image/jpeg', size: 1 } },
  mediaUpload: multipartBody({ filename: 'x.png', contentType: 'image/png', bytes: fixture('blackbug.png') }),
  mediaOptimize: { body: { format: 'webp' } },
  taskMediaAttach: { body: { mediaId: 'AAAAAAAAAAAAAAAAAAAA' } },
  webhooksCreate: { body: { url: 'http://127.0.0.1:9/hook', events: ['task.created'] } },
};

export function routesSuite(client: () => ApiClient): void {
  describe('every route of the manifest', () => {
    for (const name of Object.keys(API) as RouteName[]) {
      const contract = API[name];
      it(`${name}: ${contract.method} ${contract.path} answers as the contract says`, async () => {
        const api = client();
        const example = await EXAMPLES[name](api);
        const sent = correlationId();
        const r = await api.call(contract.method, example.path, {
          ...example.options,
          headers: { ...example.options?.headers, 'X-Correlation-Id': sent },
        });
        const status = successStatus(contract.responses, example.status);
        const schema = (contract.responses as Record<number, z.ZodType | null>)[status];
        if (schema) expectOk(r, status, schema);
        else expectEmpty(r, status);
        if (status >= 300) expect(r.headers.get('location'), show(r)).toMatch(/^\w[\w+.-]*:\/\/\S+$/);
        expect(r.headers.get('x-correlation-id')).toBe(sent);
      });
    }

    it('errors carry X-Request-Id and echo X-Correlation-Id too', async () => {
      const api = client();
      const sent = correlationId();
      const r = await api.call('GET', '/v1/tasks/AAAAAAAAAAAAAAAAAAAA', {
        headers: { 'X-Correlation-Id': sent },
      });
      expectError(r, 401, 'AUTH.UNAUTHENTICATED');
      expect(r.headers.get('x-correlation-id')).toBe(sent);
    });

    it('each response gets its own request id', async () => {
      const api = client();
      const ids = await Promise.all(
        [1, 2, 3].map(async () => expectRequestId(await api.call('GET', '/v1/health'))),
      );
      expect(new Set(ids).size).toBe(3);
    });

    it('GET /v1/health reports every dependency ok', async () => {
      const r = await client().call('GET', '/v1/health');
      const body = expectOk(r, 200, API.health.responses[200]);
      expect(body.status).toBe('ok');
      expect(body.checks).toEqual({ firestore: 'ok', storage: 'ok', pubsub: 'ok' });
    });

    it('GET /v1/openapi.json is OpenAPI 3.1 and describes every route of the manifest', async () => {
      const r = await client().call('GET', '/v1/openapi.json');
      const doc = expectOk(r, 200, API.openapi.responses[200]) as {
        openapi?: string;
        paths?: Record<string, Record<string, { operationId?: string }>>;
      };
      expect(doc.openapi).toMatch(/^3\.1\./);
      for (const contract of Object.values(API)) {
        const op = doc.paths?.[contract.path]?.[contract.method.toLowerCase()];
        expect(op?.operationId, `${contract.method} ${contract.path}`).toBe(contract.name);
      }
    });
  });

  describe('401 on every route that needs a token', () => {
    const needsToken = Object.values(API).filter((c) => c.auth !== 'none');
    const badAuthorizations: [string, Record<string, string>][] = [
      ['no Authorization header', {}],
      ['a token that is not one', { Authorization: 'Bearer not-a-real-token' }],
      ['an empty Bearer', { Authorization: 'Bearer' }],
      ['another scheme', { Authorization: 'Basic YWRtaW46YWRtaW4=' }],
      ['a huge token', { Authorization: `Bearer ${'x'.repeat(4_000)}` }],
    ];
    for (const contract of needsToken) {
      it(`${contract.method} ${contract.path}`, async () => {
        const api = client();
        for (const [what, headers] of badAuthorizations) {
          const valid = VALID_BODIES[contract.name as RouteName];
          const r = await api.call(contract.method, concretePath(contract.path), {
            ...valid,
            headers: { ...valid?.headers, ...headers },
          });
          expect(r.status, `${what}: ${show(r)}`).toBe(401);
          expectError(r, 401, 'AUTH.UNAUTHENTICATED');
        }
      });
    }
  });

  describe('401 before any validation: an anonymous request learns nothing of the contract', () => {
    const needsToken = Object.values(API).filter((c) => c.auth !== 'none');
    const invalid: [string, (path: string) => [string, CallOptions]][] = [
      ['malformed JSON', (path) => [path, { raw: '{"a":', headers: { 'Content-Type': 'application/json' } }]],
      ['an unknown field', (path) => [path, { body: { unknownField: 1 } }]],
      ['an unknown query parameter', (path) => [`${path}?unknown=1&limit=abc`, {}]],
      ['a body that is not JSON', (path) => [path, { raw: 'x', headers: { 'Content-Type': 'text/plain' } }]],
    ];
    for (const contract of needsToken) {
      it(`${contract.method} ${contract.path}`, async () => {
        const api = client();
        const cases = [...invalid];
        if (contract.path.includes('{')) {
          const badId = contract.path.replace(/\{\w+\}/g, 'x'.repeat(300));
          cases.push(['an id no store makes', () => [badId, {}]]);
        }
        for (const [what, make] of cases) {
          const [path, options] = make(concretePath(contract.path));
          const r = await api.call(contract.method, path, options);
          expect(r.status, `${what}: ${show(r)}`).toBe(401);
          expectError(r, 401, 'AUTH.UNAUTHENTICATED');
        }
      });
    }
  });
}

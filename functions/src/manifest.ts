/**
 * The manifest: every Cloud Function of Taskman in one typed place — name, entry module,
 * trigger, runtime settings and, for HTTP functions, the API contract (auth and the zod
 * schemas of params, query, body and responses). Three readers: the function entries
 * (validation), the dev host (routing and wiring) and Terraform (through the JSON export of
 * `npm run manifest`). The OpenAPI document is generated from the same entries.
 */

import { AuditEntrySchema, ListAuditQuerySchema } from '@taskman/shared/domain/audit.schema';
import { COMMAND_TOPICS } from '@taskman/shared/domain/command.schema';
import { CommentSchema, CreateCommentBodySchema } from '@taskman/shared/domain/comment.schema';
import { ErrorBodySchema, IdSchema, PageQuerySchema, pageSchema } from '@taskman/shared/domain/common.schema';
import type { Topic } from '@taskman/shared/domain/event.schema';
import {
  AttachBodySchema,
  CreateUploadBodySchema,
  ListMediaQuerySchema,
  MediaIdParamsSchema,
  MediaSchema,
  OptimizeBodySchema,
  TaskMediaParamsSchema,
  ThumbnailQuerySchema,
} from '@taskman/shared/domain/media.schema';
import {
  ListNotificationsQuerySchema,
  NotificationIdParamsSchema,
  NotificationSchema,
} from '@taskman/shared/domain/notification.schema';
import {
  CreateTaskBodySchema,
  ListTasksQuerySchema,
  PatchTaskBodySchema,
  TaskIdParamsSchema,
  TaskSchema,
} from '@taskman/shared/domain/task.schema';
import {
  AuthResultSchema,
  LoginBodySchema,
  PatchMeBodySchema,
  RefreshBodySchema,
  RegisterBodySchema,
  SessionSchema,
  SetRoleBodySchema,
  UserSchema,
} from '@taskman/shared/domain/user.schema';
import {
  CreatedWebhookSchema,
  CreateWebhookBodySchema,
  ListWebhooksQuerySchema,
  WebhookIdParamsSchema,
  WebhookSchema,
} from '@taskman/shared/domain/webhook.schema';
import type { HttpContract } from '@taskman/shared/runtime/http-contract';
import { WEBHOOK_KEYS_SECRET } from '@taskman/shared/webhooks/webhook-config';
import { z } from 'zod';

export type { HttpContract };

export type Trigger =
  | { kind: 'http'; method: HttpContract['method']; path: string }
  | { kind: 'pubsub'; topic: string; schedule?: string }
  /** A Cloud Storage event on the media bucket (Eventarc `google.cloud.storage.object.v1.*`). */
  | { kind: 'storage'; event: 'finalized' | 'deleted'; bucket: 'media' };

export interface FunctionSpec {
  /** The Cloud Function's name and functions-framework target. */
  name: string;
  /** Entry module, relative to `functions/src`, without extension. */
  entry: string;
  trigger: Trigger;
  memory: '128Mi' | '256Mi' | '512Mi' | '1Gi' | '2Gi';
  timeoutSeconds: number;
  /** Secret Manager secret names exposed as environment variables. */
  secrets: string[];
  /**
   * Secret Manager secrets the function reads as keyrings through the API, any version by
   * number (`shared/src/adapters/secret-manager/`): never environment variables, so an old
   * version still opens what it sealed. Terraform creates each and grants access to it.
   */
  keyrings?: string[];
  env: Record<string, string>;
  /** HTTP functions only: the contract their entry enforces and OpenAPI describes. */
  api?: HttpContract;
}

const UserIdParams = z.strictObject({ id: IdSchema });
const NoContent = null;

/**
 * Names each contract after its key, keeping the schemas' own types for the handlers, and
 * gives each the methods of every contract on its path (its CORS preflight allows them all).
 */
function contracts<const T extends Record<string, Omit<HttpContract, 'name' | 'pathMethods'>>>(
  defs: T,
): { [K in keyof T]: T[K] & { name: K & string; pathMethods: readonly HttpContract['method'][] } } {
  const all = Object.values(defs);
  return Object.fromEntries(
    Object.entries(defs).map(([name, c]) => [
      name,
      { ...c, name, pathMethods: all.filter((o) => o.path === c.path).map((o) => o.method) },
    ]),
  ) as unknown as {
    [K in keyof T]: T[K] & { name: K & string; pathMethods: readonly HttpContract['method'][] };
  };
}

/** The HTTP API, one contract per function, in the order API.md lists them. */
export const API = contracts({
  health: {
    method: 'GET',
    path: '/v1/health',
    auth: 'none',
    summary: 'Health of the service and its dependencies',
    tag: 'meta',
    responses: {
      200: z.object({ status: z.literal('ok'), checks: z.record(z.string(), z.string()) }),
      503: ErrorBodySchema,
    },
  },
  openapi: {
    method: 'GET',
    path: '/v1/openapi.json',
    auth: 'none',
    summary: 'This OpenAPI 3.1 document',
    tag: 'meta',
    responses: { 200: z.record(z.string(), z.unknown()) },
  },
  authRegister: {
    method: 'POST',
    path: '/v1/auth/register',
    auth: 'none',
    summary: 'Create an account and sign in',
    tag: 'auth',
    body: RegisterBodySchema,
    responses: { 201: AuthResultSchema },
  },
  authLogin: {
    method: 'POST',
    path: '/v1/auth/login',
    auth: 'none',
    summary: 'Sign in with email and password',
    tag: 'auth',
    body: LoginBodySchema,
    responses: { 200: AuthResultSchema },
  },
  authRefresh: {
    method: 'POST',
    path: '/v1/auth/refresh',
    auth: 'none',
    summary: 'Exchange a refresh token for a new ID token (the refresh token rotates)',
    tag: 'auth',
    body: RefreshBodySchema,
    responses: { 200: SessionSchema },
  },
  authLogout: {
    method: 'POST',
    path: '/v1/auth/logout',
    auth: 'user',
    summary: "Revoke the caller's refresh tokens and ID tokens",
    tag: 'auth',
    responses: { 204: NoContent },
  },
  meGet: {
    method: 'GET',
    path: '/v1/me',
    auth: 'user',
    summary: "The caller's profile",
    tag: 'users',
    responses: { 200: UserSchema },
  },
  mePatch: {
    method: 'PATCH',
    path: '/v1/me',
    auth: 'user',
    summary: "Change the caller's display name or preferences (null removes a preference)",
    tag: 'users',
    body: PatchMeBodySchema,
    responses: { 200: UserSchema },
  },
  usersList: {
    method: 'GET',
    path: '/v1/users',
    auth: 'admin',
    summary: 'List users (admin)',
    tag: 'users',
    query: PageQuerySchema,
    responses: { 200: pageSchema(UserSchema) },
  },
  usersGet: {
    method: 'GET',
    path: '/v1/users/{id}',
    auth: 'user',
    summary: 'A user (self or admin)',
    tag: 'users',
    params: UserIdParams,
    responses: { 200: UserSchema },
  },
  usersSetRole: {
    method: 'PUT',
    path: '/v1/users/{id}/role',
    auth: 'admin',
    summary: "Set a user's role (admin); effective for the tokens the user already holds too",
    tag: 'users',
    params: UserIdParams,
    body: SetRoleBodySchema,
    responses: { 200: UserSchema },
  },
  tasksCreate: {
    method: 'POST',
    path: '/v1/tasks',
    auth: 'user',
    summary: 'Create a task',
    tag: 'tasks',
    body: CreateTaskBodySchema,
    idempotent: true,
    responses: { 201: TaskSchema },
  },
  tasksList: {
    method: 'GET',
    path: '/v1/tasks',
    auth: 'user',
    summary: "The caller's visible tasks, filtered, sorted and paged",
    tag: 'tasks',
    query: ListTasksQuerySchema,
    responses: { 200: pageSchema(TaskSchema) },
  },
  tasksGet: {
    method: 'GET',
    path: '/v1/tasks/{id}',
    auth: 'user',
    summary: 'A task (ETag; If-None-Match gives 304)',
    tag: 'tasks',
    params: TaskIdParamsSchema,
    query: z.strictObject({ include: z.enum(['media']).optional() }),
    responses: { 200: TaskSchema, 304: NoContent },
  },
  tasksPatch: {
    method: 'PATCH',
    path: '/v1/tasks/{id}',
    auth: 'user',
    summary: 'Change a task (If-Match optional; the assignee may change status only)',
    tag: 'tasks',
    params: TaskIdParamsSchema,
    body: PatchTaskBodySchema,
    responses: { 200: TaskSchema },
  },
  tasksDelete: {
    method: 'DELETE',
    path: '/v1/tasks/{id}',
    auth: 'user',
    summary: 'Delete a task (owner or admin)',
    tag: 'tasks',
    params: TaskIdParamsSchema,
    responses: { 204: NoContent },
  },
  commentsCreate: {
    method: 'POST',
    path: '/v1/tasks/{id}/comments',
    auth: 'user',
    summary: 'Comment on a task',
    tag: 'comments',
    params: TaskIdParamsSchema,
    body: CreateCommentBodySchema,
    idempotent: true,
    responses: { 201: CommentSchema },
  },
  commentsList: {
    method: 'GET',
    path: '/v1/tasks/{id}/comments',
    auth: 'user',
    summary: "A task's comments, oldest first",
    tag: 'comments',
    params: TaskIdParamsSchema,
    query: PageQuerySchema,
    responses: { 200: pageSchema(CommentSchema) },
  },
  mediaCreateUpload: {
    method: 'POST',
    path: '/v1/media/uploads',
    auth: 'user',
    summary:
      'Start an upload: a pending media and a signed URL to PUT at most the declared size to, once, with the headers given',
    tag: 'media',
    body: CreateUploadBodySchema,
    idempotent: true,
    responses: {
      201: z.object({
        media: MediaSchema,
        upload: z.object({
          url: z.string(),
          method: z.literal('PUT'),
          headers: z.record(z.string(), z.string()),
          expiresAt: z.string(),
        }),
      }),
    },
  },
  mediaUpload: {
    method: 'POST',
    path: '/v1/media',
    auth: 'user',
    summary: 'Upload a file (multipart/form-data, one part named file, at most 10 MiB)',
    tag: 'media',
    multipart: true,
    responses: { 201: MediaSchema },
  },
  mediaList: {
    method: 'GET',
    path: '/v1/media',
    auth: 'user',
    summary: "The caller's media, newest first (admin: ?ownerId=)",
    tag: 'media',
    query: ListMediaQuerySchema,
    responses: { 200: pageSchema(MediaSchema) },
  },
  mediaGet: {
    method: 'GET',
    path: '/v1/media/{id}',
    auth: 'user',
    summary: 'A media item; poll until ready or failed',
    tag: 'media',
    params: MediaIdParamsSchema,
    responses: { 200: MediaSchema },
  },
  mediaDownload: {
    method: 'GET',
    path: '/v1/media/{id}/download',
    auth: 'user',
    summary: 'Redirect to a short-lived signed URL of the original',
    tag: 'media',
    params: MediaIdParamsSchema,
    responses: { 302: NoContent },
  },
  mediaThumbnail: {
    method: 'GET',
    path: '/v1/media/{id}/thumbnail',
    auth: 'user',
    summary:
      'Redirect to a short-lived signed URL of a variant (?size=thumb|small|medium); 404 until it exists',
    tag: 'media',
    params: MediaIdParamsSchema,
    query: ThumbnailQuerySchema,
    responses: { 302: NoContent },
  },
  mediaOptimize: {
    method: 'POST',
    path: '/v1/media/{id}/optimize',
    auth: 'user',
    summary: 'Queue an optimized variant (optimized-<format>) of a ready media item',
    tag: 'media',
    params: MediaIdParamsSchema,
    body: OptimizeBodySchema,
    responses: { 202: MediaSchema },
  },
  mediaDelete: {
    method: 'DELETE',
    path: '/v1/media/{id}',
    auth: 'user',
    summary: 'Delete a media item: original and variants removed, detached from its tasks',
    tag: 'media',
    params: MediaIdParamsSchema,
    responses: { 204: NoContent },
  },
  taskMediaAttach: {
    method: 'POST',
    path: '/v1/tasks/{id}/media',
    auth: 'user',
    summary: 'Attach a media item you own to a task you own (201; 200 when already attached)',
    tag: 'media',
    params: TaskIdParamsSchema,
    body: AttachBodySchema,
    responses: { 201: MediaSchema, 200: MediaSchema },
  },
  taskMediaDetach: {
    method: 'DELETE',
    path: '/v1/tasks/{id}/media/{mediaId}',
    auth: 'user',
    summary: 'Detach a media item from a task',
    tag: 'media',
    params: TaskMediaParamsSchema,
    responses: { 204: NoContent },
  },
  taskMediaList: {
    method: 'GET',
    path: '/v1/tasks/{id}/media',
    auth: 'user',
    summary: "A task's gallery, in attachment order",
    tag: 'media',
    params: TaskIdParamsSchema,
    responses: { 200: z.object({ items: z.array(MediaSchema) }) },
  },
  notificationsList: {
    method: 'GET',
    path: '/v1/notifications',
    auth: 'user',
    summary: "The caller's notifications, newest first (?unread=true: only unread)",
    tag: 'notifications',
    query: ListNotificationsQuerySchema,
    responses: { 200: pageSchema(NotificationSchema) },
  },
  notificationsRead: {
    method: 'POST',
    path: '/v1/notifications/{id}/read',
    auth: 'user',
    summary: 'Mark one of your notifications read',
    tag: 'notifications',
    params: NotificationIdParamsSchema,
    responses: { 204: NoContent },
  },
  notificationsReadAll: {
    method: 'POST',
    path: '/v1/notifications/read-all',
    auth: 'user',
    summary: 'Mark all your notifications read',
    tag: 'notifications',
    responses: { 204: NoContent },
  },
  webhooksCreate: {
    method: 'POST',
    path: '/v1/webhooks',
    auth: 'user',
    summary: 'Register a webhook for event types; the secret is shown only in this answer',
    tag: 'webhooks',
    body: CreateWebhookBodySchema,
    idempotent: true,
    responses: { 201: CreatedWebhookSchema },
  },
  webhooksList: {
    method: 'GET',
    path: '/v1/webhooks',
    auth: 'user',
    summary: "The caller's webhooks, newest first (without secrets)",
    tag: 'webhooks',
    query: ListWebhooksQuerySchema,
    responses: { 200: pageSchema(WebhookSchema) },
  },
  webhooksDelete: {
    method: 'DELETE',
    path: '/v1/webhooks/{id}',
    auth: 'user',
    summary: 'Delete one of your webhooks; deliveries not yet made are dropped',
    tag: 'webhooks',
    params: WebhookIdParamsSchema,
    responses: { 204: NoContent },
  },
  auditList: {
    method: 'GET',
    path: '/v1/audit',
    auth: 'admin',
    summary: 'Every recorded event, newest first, filtered by entity or actor (admin)',
    tag: 'audit',
    query: ListAuditQuerySchema,
    responses: { 200: pageSchema(AuditEntrySchema) },
  },
});

const AUTH_SECRETS = ['FIREBASE_API_KEY'];

/** Where each HTTP function's entry is, and settings other than the defaults. */
const HTTP_ENTRIES: Record<keyof typeof API, { entry: string; secrets?: string[]; keyrings?: string[] }> = {
  health: { entry: 'health/health' },
  openapi: { entry: 'health/openapi' },
  authRegister: { entry: 'auth/register', secrets: AUTH_SECRETS },
  authLogin: { entry: 'auth/login', secrets: AUTH_SECRETS },
  authRefresh: { entry: 'auth/refresh', secrets: AUTH_SECRETS },
  authLogout: { entry: 'auth/logout' },
  meGet: { entry: 'users/me-get' },
  mePatch: { entry: 'users/me-patch' },
  usersList: { entry: 'users/list' },
  usersGet: { entry: 'users/get' },
  usersSetRole: { entry: 'users/set-role' },
  tasksCreate: { entry: 'tasks/create' },
  tasksList: { entry: 'tasks/list' },
  tasksGet: { entry: 'tasks/get' },
  tasksPatch: { entry: 'tasks/patch' },
  tasksDelete: { entry: 'tasks/delete' },
  commentsCreate: { entry: 'comments/create' },
  commentsList: { entry: 'comments/list' },
  mediaCreateUpload: { entry: 'media/create-upload' },
  mediaUpload: { entry: 'media/upload' },
  mediaList: { entry: 'media/list' },
  mediaGet: { entry: 'media/get' },
  mediaDownload: { entry: 'media/download' },
  mediaThumbnail: { entry: 'media/thumbnail' },
  mediaOptimize: { entry: 'media/optimize' },
  mediaDelete: { entry: 'media/delete' },
  taskMediaAttach: { entry: 'tasks/media-attach' },
  taskMediaDetach: { entry: 'tasks/media-detach' },
  taskMediaList: { entry: 'tasks/media-list' },
  notificationsList: { entry: 'notifications/list' },
  notificationsRead: { entry: 'notifications/read' },
  notificationsReadAll: { entry: 'notifications/read-all' },
  webhooksCreate: { entry: 'webhooks/create', keyrings: [WEBHOOK_KEYS_SECRET] },
  webhooksList: { entry: 'webhooks/list' },
  webhooksDelete: { entry: 'webhooks/delete' },
  auditList: { entry: 'audit/list' },
};

/** An event consumer on `topic` (see `consumerFunction`): applies each envelope once. */
function consumer(name: string, entry: string, topic: Topic): FunctionSpec {
  return {
    name,
    entry,
    trigger: { kind: 'pubsub', topic },
    memory: '256Mi',
    timeoutSeconds: 60,
    secrets: [],
    env: {},
  };
}

/** Every function. */
export const MANIFEST: readonly FunctionSpec[] = [
  ...Object.values(API).map(
    (api): FunctionSpec => ({
      name: api.name,
      entry: HTTP_ENTRIES[api.name].entry,
      trigger: { kind: 'http', method: api.method, path: api.path },
      memory: '256Mi',
      timeoutSeconds: 30,
      secrets: HTTP_ENTRIES[api.name].secrets ?? [],
      ...(HTTP_ENTRIES[api.name].keyrings ? { keyrings: HTTP_ENTRIES[api.name].keyrings } : {}),
      env: {},
      api,
    }),
  ),
  {
    name: 'processUpload',
    entry: 'media/process-upload',
    trigger: { kind: 'storage', event: 'finalized', bucket: 'media' },
    memory: '1Gi',
    timeoutSeconds: 120,
    secrets: [],
    env: {},
  },
  {
    name: 'optimizeMedia',
    entry: 'media/optimize-worker',
    trigger: { kind: 'pubsub', topic: 'media-optimize' },
    memory: '1Gi',
    timeoutSeconds: 120,
    secrets: [],
    env: {},
  },
  {
    name: 'purgeTaskComments',
    entry: 'comments/purge',
    trigger: { kind: 'pubsub', topic: 'task-events' },
    memory: '256Mi',
    timeoutSeconds: 300,
    secrets: [],
    env: {},
  },
  {
    name: 'outboxRelay',
    entry: 'events/outbox-relay',
    trigger: { kind: 'pubsub', topic: 'outbox-relay-tick', schedule: '* * * * *' },
    memory: '256Mi',
    timeoutSeconds: 120,
    secrets: [],
    env: {},
  },
  consumer('auditTaskEvents', 'events/audit-task-events', 'task-events'),
  consumer('auditMediaEvents', 'events/audit-media-events', 'media-events'),
  consumer('auditUserEvents', 'events/audit-user-events', 'user-events'),
  consumer('notifyTaskEvents', 'notifications/notify-task-events', 'task-events'),
  consumer('notifyMediaEvents', 'notifications/notify-media-events', 'media-events'),
  consumer('notifyUserEvents', 'notifications/notify-user-events', 'user-events'),
  consumer('webhookTaskEvents', 'webhooks/fan-out-task-events', 'task-events'),
  consumer('webhookMediaEvents', 'webhooks/fan-out-media-events', 'media-events'),
  consumer('webhookUserEvents', 'webhooks/fan-out-user-events', 'user-events'),
  {
    name: 'deliverWebhook',
    entry: 'webhooks/deliver-worker',
    trigger: { kind: 'pubsub', topic: COMMAND_TOPICS.deliverWebhook },
    memory: '256Mi',
    // Above WEBHOOK_TIMEOUT_MS (at most 60 s) plus the two units of work around the POST.
    timeoutSeconds: 90,
    secrets: [],
    // Opens each webhook's sealed secret to sign with it.
    keyrings: [WEBHOOK_KEYS_SECRET],
    env: {},
  },
  {
    name: 'webhookRetry',
    entry: 'webhooks/retry',
    trigger: { kind: 'pubsub', topic: 'webhook-retry-tick', schedule: '* * * * *' },
    memory: '256Mi',
    timeoutSeconds: 120,
    secrets: [],
    env: {},
  },
];

/**
 * How long a scheduled drain (outbox relay, webhook retry sweep) may keep starting work:
 * its timeout less a margin for the items still in flight (each makes at most three calls,
 * each bounded by `OUTBOUND_TIMEOUT_MS`, 10 s by default).
 */
export function drainBudgetMs(name: string): number {
  return (spec(name).timeoutSeconds - DRAIN_MARGIN_SECONDS) * 1000;
}

const DRAIN_MARGIN_SECONDS = 35;

/** The manifest entry of a function; throws for an unknown name (a wiring bug). */
export function spec(name: string): FunctionSpec {
  const found = MANIFEST.find((f) => f.name === name);
  if (!found) throw new Error(`No function named ${name} in the manifest`);
  return found;
}

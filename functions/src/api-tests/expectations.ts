/**
 * Assertions and helpers the API suites share: the exact error body of API.md, success
 * replies validated with the domain's zod schemas (strictly, so no internal field leaks),
 * the headers every response carries, and small builders for tasks, media (the real image
 * fixtures, multipart bodies, polling until processed) and concurrency.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CommentSchema } from '@taskman/shared/domain/comment.schema';
import { pageSchema } from '@taskman/shared/domain/common.schema';
import { EventEnvelopeSchema } from '@taskman/shared/domain/event.schema';
import { type Media, MediaSchema } from '@taskman/shared/domain/media.schema';
import { type Task, TaskSchema } from '@taskman/shared/domain/task.schema';
import { AuthResultSchema, SessionSchema, UserSchema } from '@taskman/shared/domain/user.schema';
import type { ErrorCode } from '@taskman/shared/errors/app-error';
import { expect } from 'vitest';
import { z } from 'zod';
import type { Account, ApiClient, Reply } from './client.ts';

/** The entities exactly as the contract lists their fields: an extra field fails. */
export const StrictTask = TaskSchema.strict();
export const StrictUser = UserSchema.strict();
export const StrictComment = CommentSchema.strict();
export const StrictAuthResult = AuthResultSchema.extend({ user: StrictUser }).strict();
export const StrictSession = SessionSchema.strict();
export const TaskPage = pageSchema(StrictTask).strict();
export const UserPage = pageSchema(StrictUser).strict();
export const CommentPage = pageSchema(StrictComment).strict();
export const StrictMedia = MediaSchema.strict();
export const MediaPage = pageSchema(StrictMedia).strict();
const [strictEnvelope, ...strictEnvelopes] = EventEnvelopeSchema.options.map((o) => o.strict());
/** An event envelope with no field but its own (its data may carry more). */
export const StrictEnvelope = z.discriminatedUnion('eventType', [strictEnvelope!, ...strictEnvelopes]);

/** `{"error": {"code", "message", "details"?, "requestId"}}` and nothing else. */
export const StrictErrorBody = z.strictObject({
  error: z.strictObject({
    code: z.string().min(1),
    message: z.string().min(1),
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string().min(1),
  }),
});
export type ErrorBody = z.infer<typeof StrictErrorBody>['error'];

const IssuesSchema = z.array(z.strictObject({ path: z.string().min(1), reason: z.string().min(1) })).min(1);

/** A short description of a reply for assertion messages. */
export function show(reply: Reply): string {
  const text = reply.text.length > 400 ? `${reply.text.slice(0, 400)}…` : reply.text;
  return `${reply.status} ${text}`;
}

/** Every response carries a request id. */
export function expectRequestId(reply: Reply): string {
  const id = reply.headers.get('x-request-id');
  expect(id, `X-Request-Id missing on ${show(reply)}`).toBeTruthy();
  return id ?? '';
}

/**
 * Checks a problem without throwing: the list of what is wrong with `reply` as an error
 * reply of `status` (any 4xx when `status` is '4xx'). Used where many cases are collected.
 */
export function errorProblems(reply: Reply, status: number | '4xx', code?: ErrorCode): string[] {
  const problems: string[] = [];
  if (status === '4xx' ? reply.status < 400 || reply.status > 499 : reply.status !== status) {
    problems.push(`status ${reply.status}, expected ${status}`);
  }
  const requestId = reply.headers.get('x-request-id');
  if (!requestId) problems.push('no X-Request-Id');
  if (!/^application\/json\b/.test(reply.headers.get('content-type') ?? '')) {
    problems.push(`content type ${reply.headers.get('content-type')}`);
  }
  const parsed = StrictErrorBody.safeParse(reply.body);
  if (!parsed.success) {
    problems.push(`not the error body: ${z.prettifyError(parsed.error)}`);
    return problems;
  }
  const error = parsed.data.error;
  if (error.requestId !== requestId) problems.push(`requestId ${error.requestId} ≠ header ${requestId}`);
  if (code && error.code !== code) problems.push(`code ${error.code}, expected ${code}`);
  if (error.code === 'REQUEST.VALIDATION' && !IssuesSchema.safeParse(error.details?.issues).success) {
    problems.push('a validation error without details.issues [{path, reason}]');
  }
  return problems;
}

/** Asserts an error reply: status, code, the exact body, requestId equal to X-Request-Id. */
export function expectError(reply: Reply, status: number, code?: ErrorCode): ErrorBody {
  const problems = errorProblems(reply, status, code);
  expect(problems, `${show(reply)}`).toEqual([]);
  return (reply.body as { error: ErrorBody }).error;
}

/** Asserts a 400 whose details list an issue at `path` (and returns the issues). */
export function expectValidation(reply: Reply, ...paths: string[]): { path: string; reason: string }[] {
  const error = expectError(reply, 400, 'REQUEST.VALIDATION');
  const issues = IssuesSchema.parse(error.details?.issues);
  for (const path of paths) {
    expect(
      issues.map((i) => i.path),
      `issues ${JSON.stringify(issues)}`,
    ).toContain(path);
  }
  return issues;
}

/** Asserts a success reply and returns its body parsed with `schema`. */
export function expectOk<T>(reply: Reply, status: number, schema: z.ZodType<T>): T {
  expect(reply.status, show(reply)).toBe(status);
  expectRequestId(reply);
  expect(reply.headers.get('content-type') ?? '').toMatch(/^application\/json\b/);
  const parsed = schema.safeParse(reply.body);
  expect(parsed.success, parsed.success ? '' : `${z.prettifyError(parsed.error)}\n${show(reply)}`).toBe(true);
  return (parsed as { data: T }).data;
}

/** Asserts a reply without a body (204, 304). */
export function expectEmpty(reply: Reply, status: number): void {
  expect(reply.status, show(reply)).toBe(status);
  expectRequestId(reply);
  expect(reply.text).toBe('');
}

/** A fresh correlation id matching the runtime's accepted form. */
export function correlationId(): string {
  return `test-${randomUUID()}`;
}

/** A label no other test uses. */
export function uniqueLabel(prefix = 'l'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Creates a task through the API and returns it (asserting the 201). */
export async function createTask(
  api: ApiClient,
  owner: Pick<Account, 'token'>,
  body: Record<string, unknown> = {},
): Promise<Task> {
  const r = await api.call('POST', '/v1/tasks', { token: owner.token, body: { title: 'A task', ...body } });
  return expectOk(r, 201, StrictTask);
}

/** Attaches a media to a task through the API (asserting the 201). */
export async function attachMedia(
  api: ApiClient,
  who: Pick<Account, 'token'>,
  taskId: string,
  mediaId: string,
): Promise<Media> {
  const r = await api.call('POST', `/v1/tasks/${taskId}/media`, { token: who.token, body: { mediaId } });
  return expectOk(r, 201, StrictMedia);
}

/** Reads a task and its ETag through the API (asserting the 200). */
export async function readTask(
  api: ApiClient,
  who: Pick<Account, 'token'>,
  id: string,
): Promise<{ task: Task; etag: string }> {
  const r = await api.call('GET', `/v1/tasks/${id}`, { token: who.token });
  const task = expectOk(r, 200, StrictTask);
  return { task, etag: r.headers.get('etag') ?? '' };
}

/** Every item of a paged list, following cursors (asserting each page). */
export async function listAll<T>(
  api: ApiClient,
  who: Pick<Account, 'token'>,
  path: string,
  page: z.ZodType<{ items: T[]; nextCursor: string | null }>,
  limit = 100,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  for (let i = 0; i < 1_000; i++) {
    const url: string = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const body: { items: T[]; nextCursor: string | null } = expectOk(
      await api.call('GET', url, { token: who.token }),
      200,
      page,
    );
    items.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error(`${path} did not end after 1,000 pages`);
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The real test images (`shared/fixtures/images` beside the repository). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../../shared/fixtures/images/', import.meta.url));

const fixtureCache = new Map<string, Buffer>();

/** The bytes of one fixture image. */
export function fixture(name: string): Buffer {
  let bytes = fixtureCache.get(name);
  if (!bytes) {
    bytes = readFileSync(`${FIXTURES_DIR}${name}`);
    fixtureCache.set(name, bytes);
  }
  return bytes;
}

/** A `multipart/form-data` body with one file part: the headers and the raw bytes to send. */
export function multipartBody(
  file: { filename: string; contentType: string; bytes: Buffer },
  field = 'file',
): { headers: Record<string, string>; raw: Buffer } {
  const boundary = `----taskman-${randomUUID()}`;
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${file.filename}"\r\n` +
    `Content-Type: ${file.contentType}\r\n\r\n`;
  return {
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    raw: Buffer.concat([Buffer.from(head), file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}

/** Uploads bytes with `POST /v1/media` (one part `file`) and returns the media (asserting the 201). */
export async function uploadMultipart(
  api: ApiClient,
  who: Pick<Account, 'token'>,
  filename: string,
  bytes: Buffer = fixture(filename),
  contentType = 'application/octet-stream',
): Promise<Media> {
  const { headers, raw } = multipartBody({ filename, contentType, bytes });
  return expectOk(await api.call('POST', '/v1/media', { token: who.token, headers, raw }), 201, StrictMedia);
}

/** How long processing may take before a poll gives up. */
export const PROCESSING_DEADLINE_MS = 45_000;

/** Polls `GET /v1/media/{id}` until it is `ready` or `failed` (asserting each 200). */
export async function waitForMedia(
  api: ApiClient,
  who: Pick<Account, 'token'>,
  id: string,
  deadlineMs = PROCESSING_DEADLINE_MS,
): Promise<Media> {
  const deadline = Date.now() + deadlineMs;
  let pause = 20;
  for (;;) {
    const media = expectOk(await api.call('GET', `/v1/media/${id}`, { token: who.token }), 200, StrictMedia);
    if (media.status === 'ready' || media.status === 'failed') return media;
    if (Date.now() > deadline) {
      throw new Error(`media ${id} still ${media.status} after ${deadlineMs} ms: ${JSON.stringify(media)}`);
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 250);
  }
}

/** Uploads a fixture with `POST /v1/media` and waits until it is processed. */
export async function readyMedia(
  api: ApiClient,
  who: Pick<Account, 'token'>,
  filename = 'Landscape_1.jpg',
): Promise<Media> {
  const media = await waitForMedia(api, who, (await uploadMultipart(api, who, filename)).id);
  expect(media.status, JSON.stringify(media)).toBe('ready');
  return media;
}

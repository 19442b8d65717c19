/**
 * The JSON API (`/storage/v1/…`, or `/…` when the client was pointed here through
 * `STORAGE_EMULATOR_HOST`, which it uses as its base URL as is): buckets, object metadata,
 * media downloads (`alt=media`, `/download/storage/v1/…`), listing, delete, copy/rewrite,
 * move, compose, and notification configurations. Paths are matched segment by segment;
 * object names arrive as one percent-encoded segment from the Node client, but names
 * with bare slashes are accepted too.
 */
import { writeContent } from './content.ts';
import type { Deps } from './deps.ts';
import { sendObject } from './downloads.ts';
import { errors } from './errors.ts';
import { type Context, decodeSegment, drain, intParam, readJson, sendEmpty, sendJson } from './http.ts';
import { notificationFromJson } from './notifications.ts';
import { checkPreconditions, preconditionsFromQuery } from './preconditions.ts';
import { type ObjectFields, type ObjectRecord, parseObjectFields, STRING_FIELDS } from './records.ts';
import { bucketResource, notificationResource, objectResource } from './resources.ts';

export async function handleJsonApi(
  ctx: Context,
  deps: Deps,
  segments: string[],
  mediaOnly = false,
): Promise<void> {
  const [head, bucketSegment, kind, ...rest] = segments;
  if (
    head === 'projects' &&
    segments.length === 3 &&
    segments[2] === 'serviceAccount' &&
    ctx.method === 'GET'
  ) {
    return sendJson(ctx, 200, {
      kind: 'storage#serviceAccount',
      email_address: `service-${deps.projectNumber}@gs-project-accounts.iam.gserviceaccount.com`,
    });
  }
  if (head !== 'b' || (mediaOnly && kind !== 'o')) throw unknownRoute(ctx);
  if (bucketSegment === undefined || bucketSegment === '') return buckets(ctx, deps);
  const bucket = decodeSegment(bucketSegment);
  if (kind === undefined) return bucketRequest(ctx, deps, bucket);
  if (kind === 'o' && rest.length === 0) return listObjects(ctx, deps, bucket);
  if (kind === 'o') return objectRequest(ctx, deps, bucket, rest, mediaOnly);
  if (kind === 'notificationConfigs') return notifications(ctx, deps, bucket, rest);
  throw unknownRoute(ctx);
}

function unknownRoute(ctx: Context) {
  return errors.notImplemented(`${ctx.method} ${ctx.rawPath}`);
}

// ---------------------------------------------------------------------------------------
// Buckets

async function buckets(ctx: Context, deps: Deps): Promise<void> {
  if (ctx.method === 'GET') {
    await drain(ctx.req);
    const all = deps.store.listBuckets(ctx.query.get('prefix') ?? '');
    const start = Number(ctx.query.get('pageToken') ?? 0) || 0;
    const max = intParam(ctx.query, 'maxResults') ?? 1000;
    const page = all.slice(start, start + max);
    const body: Record<string, unknown> = {
      kind: 'storage#buckets',
      items: page.map((b) => bucketResource(b, ctx.baseUrl, deps.projectNumber)),
    };
    if (start + max < all.length) body.nextPageToken = String(start + max);
    return sendJson(ctx, 200, body);
  }
  if (ctx.method === 'POST') {
    const body = await readJson(ctx.req);
    if (typeof body !== 'object' || body === null || typeof (body as { name?: unknown }).name !== 'string') {
      throw errors.badRequest('Required field: name.', 'required');
    }
    const fields = body as Record<string, unknown> & { name: string };
    const record = await deps.store.createBucket(fields.name, bucketSettings(fields));
    return sendJson(ctx, 200, bucketResource(record, ctx.baseUrl, deps.projectNumber));
  }
  throw unknownRoute(ctx);
}

const SERVER_OWNED = new Set([
  'kind',
  'id',
  'selfLink',
  'projectNumber',
  'metageneration',
  'etag',
  'timeCreated',
  'updated',
  'name',
]);

/** Drops the fields the server owns; the rest (labels, cors, versioning, …) is kept and echoed. */
function bucketSettings(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !SERVER_OWNED.has(key)));
}

async function bucketRequest(ctx: Context, deps: Deps, bucket: string): Promise<void> {
  const ifMetagenerationMatch = ctx.query.get('ifMetagenerationMatch') ?? undefined;
  switch (ctx.method) {
    case 'GET':
      await drain(ctx.req);
      return sendJson(ctx, 200, bucketResource(deps.store.bucket(bucket), ctx.baseUrl, deps.projectNumber));
    case 'PATCH':
    case 'PUT': {
      const body = await readJson(ctx.req);
      const patch =
        typeof body === 'object' && body !== null ? bucketSettings(body as Record<string, unknown>) : {};
      const record = await deps.store.patchBucket(bucket, patch, ifMetagenerationMatch);
      return sendJson(ctx, 200, bucketResource(record, ctx.baseUrl, deps.projectNumber));
    }
    case 'DELETE':
      await drain(ctx.req);
      await deps.store.deleteBucket(bucket, ifMetagenerationMatch);
      return sendEmpty(ctx, 204);
    default:
      throw unknownRoute(ctx);
  }
}

// ---------------------------------------------------------------------------------------
// Objects

async function listObjects(ctx: Context, deps: Deps, bucket: string): Promise<void> {
  if (ctx.method !== 'GET') throw unknownRoute(ctx);
  await drain(ctx.req);
  const q = ctx.query;
  if (q.get('matchGlob')) throw errors.notImplemented('listing with matchGlob');
  const maxResults = intParam(q, 'maxResults');
  const result = deps.store.listObjects(bucket, {
    prefix: q.get('prefix') ?? '',
    ...(q.get('delimiter') ? { delimiter: q.get('delimiter')! } : {}),
    ...(maxResults !== undefined ? { maxResults } : {}),
    ...(q.get('pageToken') ? { pageToken: q.get('pageToken')! } : {}),
    ...(q.get('startOffset') ? { startOffset: q.get('startOffset')! } : {}),
    ...(q.get('endOffset') ? { endOffset: q.get('endOffset')! } : {}),
    includeTrailingDelimiter: q.get('includeTrailingDelimiter') === 'true',
  });
  // Like GCS: empty lists are left out rather than sent as [].
  const body: Record<string, unknown> = { kind: 'storage#objects' };
  if (result.items.length > 0) body.items = result.items.map((o) => objectResource(o, ctx.baseUrl));
  if (result.prefixes.length > 0) body.prefixes = result.prefixes;
  if (result.nextPageToken) body.nextPageToken = result.nextPageToken;
  sendJson(ctx, 200, body);
}

async function objectRequest(ctx: Context, deps: Deps, bucket: string, rest: string[], mediaOnly: boolean) {
  const [first, action, ...target] = rest;
  if (ctx.method === 'POST' && target.length === 4 && (action === 'rewriteTo' || action === 'copyTo')) {
    if (target[0] === 'b' && target[2] === 'o') {
      const destination = { bucket: decodeSegment(target[1]!), name: decodeSegment(target[3]!) };
      return copy(ctx, deps, { bucket, name: decodeSegment(first!) }, destination, action === 'rewriteTo');
    }
  }
  if (ctx.method === 'POST' && action === 'moveTo' && target.length === 2 && target[0] === 'o') {
    return move(ctx, deps, bucket, decodeSegment(first!), decodeSegment(target[1]!));
  }
  if (ctx.method === 'POST' && action === 'compose' && target.length === 0) {
    return compose(ctx, deps, bucket, decodeSegment(first!));
  }
  const name = rest.map(decodeSegment).join('/');
  const generation = ctx.query.get('generation') ?? undefined;
  const preconditions = preconditionsFromQuery(ctx.query);
  const at = generation ? { generation } : {};
  if (mediaOnly && ctx.method !== 'GET') throw unknownRoute(ctx);
  switch (ctx.method) {
    case 'GET': {
      await drain(ctx.req);
      const object = deps.store.object(bucket, name, { preconditions, ...at });
      if (mediaOnly || ctx.query.get('alt') === 'media') return sendObject(ctx, deps.store, object);
      return sendJson(ctx, 200, objectResource(object, ctx.baseUrl));
    }
    case 'PATCH':
    case 'PUT': {
      const update = parseObjectFields(await readJson(ctx.req));
      const record = await deps.store.patchObject(bucket, name, update, {
        preconditions,
        replace: ctx.method === 'PUT',
        ...at,
      });
      return sendJson(ctx, 200, objectResource(record, ctx.baseUrl));
    }
    case 'DELETE':
      await drain(ctx.req);
      await deps.store.deleteObject(bucket, name, { preconditions, ...at });
      return sendEmpty(ctx, 204);
    default:
      throw unknownRoute(ctx);
  }
}

interface ObjectId {
  bucket: string;
  name: string;
}

/** `rewriteTo` (answers a rewrite response, done in one call) and the older `copyTo`. */
async function copy(ctx: Context, deps: Deps, from: ObjectId, to: ObjectId, rewrite: boolean): Promise<void> {
  const body = await readJson(ctx.req);
  const sourceGeneration = ctx.query.get('sourceGeneration') ?? undefined;
  const source = deps.store.object(
    from.bucket,
    from.name,
    sourceGeneration ? { generation: sourceGeneration } : {},
  );
  checkPreconditions(source, preconditionsFromQuery(ctx.query, 'ifSource'), 'write');
  const preconditions = preconditionsFromQuery(ctx.query);
  checkPreconditions(deps.store.peek(to.bucket, to.name), preconditions, 'write');
  // The source's metadata, overridden by whatever the request body states.
  const update = parseObjectFields(body);
  const fields: ObjectFields = { ...fieldsOf(source), ...update.set };
  for (const key of update.clear) delete fields[key];
  const content = await writeContent(await deps.store.createWriter(), deps.store.read(source));
  const record = await deps.store.insertObject(to.bucket, to.name, content, fields, preconditions);
  const resource = objectResource(record, ctx.baseUrl);
  if (!rewrite) return sendJson(ctx, 200, resource);
  sendJson(ctx, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: String(record.size),
    objectSize: String(record.size),
    done: true,
    resource,
  });
}

function fieldsOf(o: ObjectRecord): ObjectFields {
  const fields: ObjectFields = {};
  for (const key of STRING_FIELDS) if (o[key] !== undefined) fields[key] = o[key];
  if (o.metadata) fields.metadata = { ...o.metadata };
  return fields;
}

async function move(ctx: Context, deps: Deps, bucket: string, source: string, destination: string) {
  await drain(ctx.req);
  const record = await deps.store.moveObject(bucket, source, destination, {
    sourcePreconditions: preconditionsFromQuery(ctx.query, 'ifSource'),
    preconditions: preconditionsFromQuery(ctx.query),
  });
  sendJson(ctx, 200, objectResource(record, ctx.baseUrl));
}

async function compose(ctx: Context, deps: Deps, bucket: string, name: string): Promise<void> {
  const body = (await readJson(ctx.req)) as
    | { sourceObjects?: { name?: unknown; generation?: unknown }[]; destination?: unknown }
    | undefined;
  const sources = body?.sourceObjects;
  if (!Array.isArray(sources) || sources.length === 0 || sources.length > 32) {
    throw errors.badRequest('sourceObjects must list 1 to 32 objects.');
  }
  const objects = sources.map((s) => {
    if (typeof s?.name !== 'string') throw errors.badRequest('Each source object needs a name.', 'required');
    const generation = s.generation === undefined ? {} : { generation: String(s.generation) };
    return deps.store.object(bucket, s.name, generation);
  });
  const preconditions = preconditionsFromQuery(ctx.query);
  checkPreconditions(deps.store.peek(bucket, name), preconditions, 'write');
  const fields = parseObjectFields(body?.destination).set;
  const store = deps.store;
  async function* concatenated(): AsyncGenerator<Buffer> {
    for (const o of objects) yield* store.read(o) as AsyncIterable<Buffer>;
  }
  const content = await writeContent(await store.createWriter(), concatenated());
  const record = await store.insertObject(bucket, name, content, fields, preconditions);
  sendJson(ctx, 200, objectResource(record, ctx.baseUrl));
}

// ---------------------------------------------------------------------------------------
// Notification configurations

async function notifications(ctx: Context, deps: Deps, bucket: string, rest: string[]): Promise<void> {
  if (rest.length === 0 && ctx.method === 'GET') {
    await drain(ctx.req);
    const items = deps.store
      .bucket(bucket)
      .notifications.map((n) => notificationResource(n, bucket, ctx.baseUrl));
    return sendJson(ctx, 200, { kind: 'storage#notifications', items });
  }
  if (rest.length === 0 && ctx.method === 'POST') {
    deps.store.bucket(bucket);
    const config = notificationFromJson(await readJson(ctx.req), deps.projectId);
    const created = await deps.store.addNotification(bucket, config);
    return sendJson(ctx, 200, notificationResource(created, bucket, ctx.baseUrl));
  }
  if (rest.length !== 1) throw unknownRoute(ctx);
  const id = decodeSegment(rest[0]!);
  await drain(ctx.req);
  if (ctx.method === 'GET') {
    return sendJson(ctx, 200, notificationResource(deps.store.notification(bucket, id), bucket, ctx.baseUrl));
  }
  if (ctx.method === 'DELETE') {
    await deps.store.removeNotification(bucket, id);
    return sendEmpty(ctx, 204);
  }
  throw unknownRoute(ctx);
}

/**
 * Firestore composite indexes as code, derived from the queries the app makes.
 *
 * Every query is captured by running the real use case against a store that records
 * queries (or, for the task list, by enumerating every option of the pure
 * `taskListQuery`), so the indexes cannot drift from the code. The output is Firebase's
 * `firestore.indexes.json` format; the emulator config and Terraform read the same file.
 *
 * Index merging keeps the count far below Firestore's 200-composite-index limit: instead
 * of one index per combination of filters, each equality or array-contains filter gets one
 * index `(filter field, ...sort fields)`, and Firestore answers a query with several such
 * filters by merging the indexes that share the same sort suffix (a zig-zag merge join).
 * Sources for the rules applied here:
 * - https://firebase.google.com/docs/firestore/query-data/index-overview#taking_advantage_of_index_merging
 *   ("for queries with multiple equality (==) clauses and, optionally, an orderBy clause,
 *   Cloud Firestore can re-use existing indexes"; the example merges
 *   `(neighborhood, star_rating)` and `(cuisine, star_rating)` for a query filtering on both
 *   and ordering by star_rating).
 * - https://cloud.google.com/datastore/docs/concepts/optimize-indexes (same engine: an
 *   array property's membership filter, `tag`, is merged with equality filters on other
 *   properties; merged indexes must end in the same sort order).
 * So: only equality and array-contains filters are merged; inequality filters and every
 * sort field (including the range field, which the code always orders by) are part of the
 * shared suffix of every merged index, and `__name__` follows the last field's direction
 * unless it is listed explicitly.
 */

import { relayOutbox } from '../../application/outbox.ts';
import type { Principal } from '../../domain/common.schema.ts';
import {
  type ListTasksQuery,
  PrioritySchema,
  TaskSortSchema,
  TaskStatusSchema,
} from '../../domain/task.schema.ts';
import {
  DOC_ID,
  type DocData,
  type DocumentStore,
  type Query,
  type StoredDoc,
} from '../../ports/document-store.ts';
import { taskListQuery } from '../../tasks/list-tasks.ts';

export type IndexOrder = 'ASCENDING' | 'DESCENDING';

export type IndexField =
  | { fieldPath: string; order: IndexOrder }
  | { fieldPath: string; arrayConfig: 'CONTAINS' };

export interface CompositeIndex {
  collectionGroup: string;
  queryScope: 'COLLECTION';
  fields: IndexField[];
}

export interface IndexFile {
  indexes: CompositeIndex[];
  fieldOverrides: never[];
}

/** Firestore's limit of composite indexes per database. */
export const COMPOSITE_INDEX_LIMIT = 200;

/** A query without limit and cursor: what decides the index. */
export type QueryShape = Omit<Query, 'limit' | 'startAfter'>;

const NAME = '__name__';

/** The collection group of a collection path (`tasks/t1/comments` → `comments`). */
function groupOf(collection: string): string {
  return collection.split('/').at(-1) ?? collection;
}

const order = (direction: 'asc' | 'desc'): IndexOrder => (direction === 'asc' ? 'ASCENDING' : 'DESCENDING');

interface Plan {
  group: string;
  /** Equality and array-contains filters: each may sit in its own merged index. */
  prefix: IndexField[];
  /** Sort (and range) fields every index serving the query must end with. */
  suffix: IndexField[];
  /** Whether Firestore's automatic single-field indexes serve the query alone. */
  builtIn: boolean;
}

/** What a query needs from the indexes. */
export function planOf(q: QueryShape): Plan {
  const equal = q.where.filter((w) => w.op === '==').map((w) => w.field);
  const prefix: IndexField[] = [
    ...q.where
      .filter((w) => w.op === 'array-contains')
      .map((w) => ({ fieldPath: w.field, arrayConfig: 'CONTAINS' as const })),
    ...[...new Set(equal)].map((fieldPath) => ({ fieldPath, order: 'ASCENDING' as const })),
  ];
  // Ordering by a field held equal is a no-op, so Firestore leaves it out of the index.
  const sorts = q.orderBy.filter((o) => !equal.includes(o.field));
  const byName = sorts.at(-1)?.field === DOC_ID ? sorts.pop() : undefined;
  const suffix: IndexField[] = sorts.map((o) => ({ fieldPath: o.field, order: order(o.direction) }));
  // Inequality fields not ordered explicitly are ordered implicitly, after the sorts.
  for (const w of q.where) {
    if (w.op !== '==' && w.op !== 'array-contains' && !suffix.some((f) => f.fieldPath === w.field)) {
      suffix.push({ fieldPath: w.field, order: 'ASCENDING' });
    }
  }
  const last = suffix.at(-1);
  if (byName && last && 'order' in last && last.order !== order(byName.direction)) {
    suffix.push({ fieldPath: NAME, order: order(byName.direction) });
  }
  const builtIn = suffix.length === 0 || (prefix.length === 0 && suffix.length === 1);
  return { group: groupOf(q.collection), prefix, suffix, builtIn };
}

const fieldKey = (f: IndexField) => `${f.fieldPath}:${'order' in f ? f.order : f.arrayConfig}`;
const indexKey = (i: CompositeIndex) => `${i.collectionGroup}|${i.fields.map(fieldKey).join(',')}`;

/** The fewest indexes (with merging) that serve every query. */
export function indexesFor(queries: readonly QueryShape[]): CompositeIndex[] {
  const out = new Map<string, CompositeIndex>();
  const add = (group: string, fields: IndexField[]) => {
    const index: CompositeIndex = { collectionGroup: group, queryScope: 'COLLECTION', fields };
    out.set(indexKey(index), index);
  };
  for (const q of queries) {
    const plan = planOf(q);
    if (plan.builtIn) continue;
    if (plan.prefix.length === 0) add(plan.group, plan.suffix);
    for (const p of plan.prefix) add(plan.group, [p, ...plan.suffix]);
  }
  return [...out.values()].sort((a, b) =>
    indexKey(a) < indexKey(b) ? -1 : indexKey(a) > indexKey(b) ? 1 : 0,
  );
}

/**
 * Whether the indexes serve a query: built-in indexes, an exact composite index, or a
 * merge of composite indexes that each hold some of its equality / array-contains filters
 * followed by exactly its sort suffix, together covering all of them.
 */
export function isServed(q: QueryShape, indexes: readonly CompositeIndex[]): boolean {
  const plan = planOf(q);
  if (plan.builtIn) return true;
  const suffix = plan.suffix.map(fieldKey);
  const wanted = new Set(plan.prefix.map(fieldKey));
  const covered = new Set<string>();
  for (const index of indexes) {
    if (index.collectionGroup !== plan.group) continue;
    const keys = index.fields.map(fieldKey);
    const head = keys.slice(0, keys.length - suffix.length);
    const tail = keys.slice(keys.length - suffix.length);
    if (tail.join(',') !== suffix.join(',') || !head.every((k) => wanted.has(k))) continue;
    if (wanted.size === 0 && head.length === 0) return true;
    for (const k of head) covered.add(k);
  }
  return wanted.size > 0 && [...wanted].every((k) => covered.has(k));
}

/** Every option combination of the task list, for members and admins. */
export function taskListShapes(): QueryShape[] {
  const actors: Principal[] = [
    { uid: 'member', email: undefined, role: 'member' },
    { uid: 'admin', email: undefined, role: 'admin' },
  ];
  const optional = <T>(values: readonly T[]): (T | undefined)[] => [undefined, ...values];
  const shapes: QueryShape[] = [];
  for (const actor of actors)
    for (const label of optional(['l']))
      for (const status of optional(TaskStatusSchema.options))
        for (const priority of optional(PrioritySchema.options))
          for (const assigneeId of optional(['u']))
            for (const dueAfter of optional(['2026-01-01T00:00:00.000Z']))
              for (const dueBefore of optional(['2027-01-01T00:00:00.000Z']))
                for (const sort of TaskSortSchema.options) {
                  const q = { limit: 20, sort, label, status, priority, assigneeId, dueAfter, dueBefore };
                  shapes.push(taskListQuery(actor, q as ListTasksQuery));
                }
  return shapes;
}

/** A store that records queries and answers with nothing (or a visible task, for access checks). */
function recordingStore(seen: QueryShape[]): DocumentStore {
  const task: DocData = {
    id: 't',
    title: 't',
    description: '',
    status: 'PENDING',
    priority: 'LOW',
    dueDate: null,
    ownerId: 'u',
    assigneeId: null,
    labels: [],
    mediaIds: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  };
  const get = async <T extends DocData>(collection: string, id: string): Promise<StoredDoc<T> | null> =>
    collection === 'tasks' ? { id, data: { ...task, id } as DocData as T } : null;
  return {
    get,
    query: async <T extends DocData>(q: Query): Promise<StoredDoc<T>[]> => {
      seen.push({ collection: q.collection, where: q.where, orderBy: q.orderBy });
      return [];
    },
    count: async () => 0,
    transact: async (fn) => fn({ get, create: () => {}, set: () => {}, delete: () => {} }),
    ping: async () => {},
  };
}

/** Every query shape of the app's listings and background jobs. */
export async function appQueryShapes(): Promise<QueryShape[]> {
  const seen: QueryShape[] = [];
  const store = recordingStore(seen);
  // Imported here: these modules pull in the app's wiring, which only this function needs.
  const { memoryDeps } = await import('../../testing/memory-deps.ts');
  const { listMedia } = await import('../../media/media-queries.ts');
  const { listUsers } = await import('../../users/profile.ts');
  const { listComments } = await import('../../comments/comments.ts');
  const deps = { ...memoryDeps(), store };
  const member: Principal = { uid: 'u', email: undefined, role: 'member' };
  for (const taskId of [undefined, 't'])
    for (const status of [undefined, 'ready'] as const)
      await listMedia(
        { actor: member, limit: 20, ...(taskId ? { taskId } : {}), ...(status ? { status } : {}) },
        deps,
      );
  const { listNotifications, markAllRead } = await import('../../notifications/notifications.ts');
  const { listAudit } = await import('../../audit/audit.ts');
  for (const unread of [undefined, true, false])
    await listNotifications(member, { limit: 20, ...(unread === undefined ? {} : { unread }) }, deps);
  await markAllRead(member, deps);
  for (const entityType of [undefined, 'task'] as const)
    for (const entityId of [undefined, 'e'])
      for (const actorId of [undefined, 'a'])
        await listAudit(
          {
            limit: 20,
            ...(entityType ? { entityType } : {}),
            ...(entityId ? { entityId } : {}),
            ...(actorId ? { actorId } : {}),
          },
          deps,
        );
  await listUsers({ limit: 20 }, deps);
  await listComments({ actor: member, taskId: 't', limit: 20 }, deps);
  await relayOutbox(deps);
  const { listWebhooks, dueDeliveryCommands, fanOutConsumer } = await import('../../webhooks/webhooks.ts');
  const { parseWebhookConfig } = await import('../../webhooks/webhook-config.ts');
  const webhookSettings = parseWebhookConfig({});
  await listWebhooks(member, { limit: 20 }, deps);
  await dueDeliveryCommands(deps, webhookSettings);
  // The fan-out's lookups: by owner (task and media events) and by event type (admins').
  const fanOut = fanOutConsumer(
    () => undefined,
    () => webhookSettings,
  );
  for (const [eventType, data] of [
    ['task.created', { task: { id: 't', ownerId: 'u' } }],
    ['user.registered', { userId: 'u' }],
  ] as const) {
    const envelope = {
      id: 'e',
      eventType,
      version: 1 as const,
      timestamp: '2026-01-01T00:00:00.000Z',
      serviceId: 's',
      correlationId: 'c',
      actorId: null,
      data,
    };
    await store.transact((tx) => fanOut.apply(envelope, tx, deps));
  }
  return [...taskListShapes(), ...seen];
}

/** The index file for the app's queries. */
export async function generateIndexFile(): Promise<IndexFile> {
  return { indexes: indexesFor(await appQueryShapes()), fieldOverrides: [] };
}

/** The file's text, as committed. */
export function renderIndexFile(file: IndexFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

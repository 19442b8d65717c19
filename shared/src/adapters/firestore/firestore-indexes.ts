/**
 * Firestore composite indexes as code, derived from the queries the app makes.
 *
 * This is the pure planner: from query shapes to the indexes that serve them. The shapes
 * are collected from the code itself by `functions/scripts/query-shapes.ts`, so the
 * indexes cannot drift from the queries. The output is Firebase's `firestore.indexes.json`
 * format; the emulator config and Terraform read the same file.
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

import { DOC_ID, type Query } from '../../ports/document-store.ts';

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

/** The file's text, as committed. */
export function renderIndexFile(file: IndexFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}

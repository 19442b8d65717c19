/**
 * In-memory DocumentStore with Firestore's semantics: value ordering (null < booleans <
 * numbers < timestamps < strings), range filters that match only values of the same type, documents
 * without an ordered field left out, optimistic units of work, and reserved field names
 * (`__.*__`) refused. For unit tests.
 */
import { AppError, unstorableValue } from '../../errors/app-error.ts';
import {
  DOC_ID,
  type DocData,
  type DocumentStore,
  type OrderBy,
  type Query,
  type StoredDoc,
  type Transaction,
  type Where,
} from '../../ports/document-store.ts';

interface Entry {
  data: DocData;
  version: number;
}

type Write =
  | { kind: 'create'; collection: string; id: string; data: DocData }
  | { kind: 'set'; collection: string; id: string; data: DocData }
  | { kind: 'delete'; collection: string; id: string };

const MAX_ATTEMPTS = 8;
/** Field names Firestore reserves and refuses to store. */
const RESERVED_NAME = /^__.*__$/;

/** Whether Firestore would store `value` as far as names go (at any depth). */
function storable(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(storable);
  if (value === null || typeof value !== 'object' || value instanceof Date) return true;
  return Object.entries(value).every(([name, v]) => !RESERVED_NAME.test(name) && storable(v));
}

function typeRank(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === 'boolean') return 1;
  if (typeof v === 'number') return 2;
  if (v instanceof Date) return 3;
  if (typeof v === 'string') return 4;
  if (Array.isArray(v)) return 5;
  return 6;
}

/** Compares two values the way Firestore orders them. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0;
}

function fieldValue(id: string, data: DocData, field: string): unknown {
  if (field === DOC_ID) return id;
  let value: unknown = data;
  for (const part of field.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function matches(id: string, data: DocData, w: Where): boolean {
  const v = fieldValue(id, data, w.field);
  if (v === undefined) return false;
  switch (w.op) {
    case '==':
      return compareValues(v, w.value) === 0;
    case 'array-contains':
      return Array.isArray(v) && v.some((x) => compareValues(x, w.value) === 0);
    default: {
      if (typeRank(v) !== typeRank(w.value) || w.value === null) return false;
      const c = compareValues(v, w.value);
      if (w.op === '<') return c < 0;
      if (w.op === '<=') return c <= 0;
      if (w.op === '>') return c > 0;
      return c >= 0;
    }
  }
}

function comparePositions(a: unknown[], b: unknown[], orderBy: OrderBy[]): number {
  for (const [i, o] of orderBy.entries()) {
    const c = compareValues(a[i], b[i]);
    if (c !== 0) return o.direction === 'asc' ? c : -c;
  }
  return 0;
}

/** A DocumentStore held in process memory. */
export class MemoryDocumentStore implements DocumentStore {
  private readonly collections = new Map<string, Map<string, Entry>>();
  private nextVersion = 1;
  /** Set to make every call fail as if the database were down. */
  down = false;

  private col(name: string): Map<string, Entry> {
    let c = this.collections.get(name);
    if (!c) {
      c = new Map();
      this.collections.set(name, c);
    }
    return c;
  }

  private assertUp(): void {
    if (this.down) throw new AppError('DEPENDENCY.UNAVAILABLE', 'The database is unavailable.');
  }

  async get<T extends DocData>(collection: string, id: string): Promise<StoredDoc<T> | null> {
    this.assertUp();
    const e = this.col(collection).get(id);
    return e ? { id, data: structuredClone(e.data) as T } : null;
  }

  async query<T extends DocData>(q: Query): Promise<StoredDoc<T>[]> {
    this.assertUp();
    const rows: { id: string; data: DocData; pos: unknown[] }[] = [];
    for (const [id, e] of this.col(q.collection)) {
      if (!q.where.every((w) => matches(id, e.data, w))) continue;
      const pos = q.orderBy.map((o) => fieldValue(id, e.data, o.field));
      if (pos.some((v) => v === undefined)) continue;
      rows.push({ id, data: e.data, pos });
    }
    rows.sort((a, b) => comparePositions(a.pos, b.pos, q.orderBy));
    const start = q.startAfter;
    const after = start ? rows.filter((r) => comparePositions(r.pos, start, q.orderBy) > 0) : rows;
    return after.slice(0, q.limit).map((r) => ({ id: r.id, data: structuredClone(r.data) as T }));
  }

  async count(collection: string, where: Where[]): Promise<number> {
    this.assertUp();
    return [...this.col(collection)].filter(([id, e]) => where.every((w) => matches(id, e.data, w))).length;
  }

  async transact<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      this.assertUp();
      const reads = new Map<string, number>();
      const writes: Write[] = [];
      const key = (c: string, id: string) => `${c}/${id}`;
      const tx: Transaction = {
        get: async <D extends DocData>(c: string, id: string) => {
          const e = this.col(c).get(id);
          reads.set(key(c, id), e?.version ?? 0);
          return e ? { id, data: structuredClone(e.data) as D } : null;
        },
        create: (c, id, data) =>
          void writes.push({ kind: 'create', collection: c, id, data: structuredClone(data) }),
        set: (c, id, data) =>
          void writes.push({ kind: 'set', collection: c, id, data: structuredClone(data) }),
        delete: (c, id) => void writes.push({ kind: 'delete', collection: c, id }),
      };
      const result = await fn(tx);
      if (writes.some((w) => w.kind !== 'delete' && !storable(w.data))) throw unstorableValue();
      // Validation and apply run without an await in between: atomic in this process.
      const conflict = writes.some((w) => {
        const current = this.col(w.collection).get(w.id)?.version ?? 0;
        if (w.kind === 'create' && current !== 0) return true;
        const seen = reads.get(key(w.collection, w.id));
        return seen !== undefined && seen !== current;
      });
      if (!conflict) {
        for (const w of writes) {
          if (w.kind === 'delete') this.col(w.collection).delete(w.id);
          else this.col(w.collection).set(w.id, { data: w.data, version: this.nextVersion++ });
        }
        return result;
      }
      if (attempt >= MAX_ATTEMPTS) {
        throw new AppError('STORE.CONTENTION', 'Too many concurrent changes; try again.');
      }
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }

  async ping(): Promise<void> {
    this.assertUp();
  }

  /** Every document of a collection (test inspection). */
  dump(collection: string): StoredDoc[] {
    return [...this.col(collection)].map(([id, e]) => ({ id, data: structuredClone(e.data) }));
  }
}

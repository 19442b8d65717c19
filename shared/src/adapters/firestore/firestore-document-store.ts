/**
 * DocumentStore on Cloud Firestore. The SDK is imported on first use, never at module
 * load. Units of work are optimistic: reads record each document's update time, writes
 * are committed in one batch guarded by those update times (Firestore's `lastUpdateTime`
 * precondition; `create` for documents read as absent), and a conflict re-runs the unit.
 * This avoids the lock contention of server transactions when many writers race.
 */
import type * as FirestoreSdk from '@google-cloud/firestore';
import { AppError, isAppError, unstorableValue } from '../../errors/app-error.ts';
import { logs } from '../../logging/logs.ts';
import {
  DOC_ID,
  type DocData,
  type DocumentStore,
  type Query,
  type StoredDoc,
  type Transaction,
  type Where,
} from '../../ports/document-store.ts';

type Sdk = typeof FirestoreSdk;

const MAX_ATTEMPTS = 10;
/** gRPC codes that mean "someone else wrote first". */
const CONFLICT_CODES = new Set([5, 6, 9, 10]);
/** gRPC codes that mean "the database is not reachable". */
const UNAVAILABLE_CODES = new Set([4, 8, 14]);
/** gRPC INVALID_ARGUMENT: a value Firestore will not store (a reserved `__.*__` name, …). */
const INVALID_ARGUMENT = 3;

interface Seen {
  updateTime: FirestoreSdk.Timestamp | null;
  data: DocData | null;
}

type Write =
  | { kind: 'create' | 'set'; collection: string; id: string; data: DocData }
  | { kind: 'delete'; collection: string; id: string };

class Conflict extends Error {}

/** Firestore timestamps back to `Date`s, at any depth (the port's one non-JSON type). */
function fromFirestore(sdk: Sdk, value: unknown): unknown {
  if (value instanceof sdk.Timestamp) return value.toDate();
  if (Array.isArray(value)) return value.map((v) => fromFirestore(sdk, v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromFirestore(sdk, v)]));
  }
  return value;
}

export interface FirestoreStoreOptions {
  projectId: string;
  /** Each call fails with DEPENDENCY.UNAVAILABLE after this long. */
  timeoutMs: number;
}

/** A DocumentStore backed by Firestore (or its emulator, named by FIRESTORE_EMULATOR_HOST). */
export class FirestoreDocumentStore implements DocumentStore {
  private client: Promise<{ sdk: Sdk; db: FirestoreSdk.Firestore }> | undefined;

  constructor(private readonly options: FirestoreStoreOptions) {}

  private connect(): Promise<{ sdk: Sdk; db: FirestoreSdk.Firestore }> {
    this.client ??= import('@google-cloud/firestore').then((sdk) => ({
      sdk,
      db: new sdk.Firestore({ projectId: this.options.projectId, ignoreUndefinedProperties: true }),
    }));
    return this.client;
  }

  /** Bounds a call in time and maps transport failures to DEPENDENCY.UNAVAILABLE. */
  private async guarded<T>(what: string, run: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new AppError('DEPENDENCY.UNAVAILABLE', 'The database did not answer in time.', {
              details: { what },
            }),
          ),
        this.options.timeoutMs,
      );
    });
    try {
      return await Promise.race([run(), timeout]);
    } catch (error) {
      if (isAppError(error) || error instanceof Conflict) throw error;
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && UNAVAILABLE_CODES.has(code)) {
        throw new AppError('DEPENDENCY.UNAVAILABLE', 'The database is unavailable.', { cause: error });
      }
      // What a request carries reaches the database only through the schemas; a value they let
      // through and Firestore refuses is still the request's, so a 400 rather than a 500.
      if (code === INVALID_ARGUMENT) {
        logs.storeRefusedValue(what, error);
        throw unstorableValue(error);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async get<T extends DocData>(collection: string, id: string): Promise<StoredDoc<T> | null> {
    const { sdk, db } = await this.connect();
    const snap = await this.guarded('get', () => db.collection(collection).doc(id).get());
    return snap.exists ? { id, data: fromFirestore(sdk, snap.data()) as T } : null;
  }

  async query<T extends DocData>(q: Query): Promise<StoredDoc<T>[]> {
    const { sdk, db } = await this.connect();
    let query: FirestoreSdk.Query = db.collection(q.collection);
    const path = (field: string) => (field === DOC_ID ? sdk.FieldPath.documentId() : field);
    for (const w of q.where) query = query.where(path(w.field), w.op, w.value);
    for (const o of q.orderBy) query = query.orderBy(path(o.field), o.direction);
    if (q.startAfter) query = query.startAfter(...q.startAfter);
    query = query.limit(q.limit);
    const snap = await this.guarded('query', () => query.get());
    return snap.docs.map((d) => ({ id: d.id, data: fromFirestore(sdk, d.data()) as T }));
  }

  async count(collection: string, where: Where[]): Promise<number> {
    const { sdk, db } = await this.connect();
    let query: FirestoreSdk.Query = db.collection(collection);
    for (const w of where)
      query = query.where(w.field === DOC_ID ? sdk.FieldPath.documentId() : w.field, w.op, w.value);
    const snap = await this.guarded('count', () => query.count().get());
    return snap.data().count;
  }

  async transact<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const { sdk, db } = await this.connect();
    for (let attempt = 1; ; attempt++) {
      const seen = new Map<string, Seen>();
      const writes: Write[] = [];
      const key = (c: string, id: string) => `${c}/${id}`;
      const tx: Transaction = {
        get: async <D extends DocData>(c: string, id: string) => {
          const snap = await this.guarded('get', () => db.collection(c).doc(id).get());
          const data = snap.exists ? (fromFirestore(sdk, snap.data()) as DocData) : null;
          seen.set(key(c, id), { updateTime: snap.updateTime ?? null, data });
          return data ? { id, data: data as D } : null;
        },
        create: (c, id, data) => void writes.push({ kind: 'create', collection: c, id, data }),
        set: (c, id, data) => void writes.push({ kind: 'set', collection: c, id, data }),
        delete: (c, id) => void writes.push({ kind: 'delete', collection: c, id }),
      };
      const result = await fn(tx);
      if (writes.length === 0) return result;
      const batch = db.batch();
      for (const w of writes) {
        const ref = db.collection(w.collection).doc(w.id);
        const read = seen.get(key(w.collection, w.id));
        if (w.kind === 'delete') {
          if (read?.updateTime) batch.delete(ref, { lastUpdateTime: read.updateTime });
          else batch.delete(ref);
        } else if (w.kind === 'create' || (read && !read.updateTime)) {
          batch.create(ref, w.data);
        } else if (read?.updateTime && read.data) {
          // Replace the document, guarded by the update time we read.
          const removed = Object.keys(read.data).filter((k) => !(k in w.data));
          const update: Record<string, unknown> = { ...w.data };
          for (const k of removed) update[k] = sdk.FieldValue.delete();
          batch.update(ref, update, { lastUpdateTime: read.updateTime });
        } else {
          batch.set(ref, w.data);
        }
      }
      try {
        await this.guarded('commit', async () => {
          try {
            await batch.commit();
          } catch (error) {
            const code = (error as { code?: unknown }).code;
            if (typeof code === 'number' && CONFLICT_CODES.has(code)) throw new Conflict();
            throw error;
          }
        });
        return result;
      } catch (error) {
        if (!(error instanceof Conflict)) throw error;
        if (attempt >= MAX_ATTEMPTS)
          throw new AppError('STORE.CONTENTION', 'Too many concurrent changes; try again.');
        await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      }
    }
  }

  async ping(): Promise<void> {
    const { db } = await this.connect();
    await this.guarded('ping', () => db.collection('_health').doc('ping').get());
  }
}

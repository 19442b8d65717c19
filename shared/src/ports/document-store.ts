/**
 * The document store the domain needs: documents by collection and id, ordered queries
 * with cursors, and atomic units of work with optimistic concurrency. Firestore is the
 * production adapter; an in-memory one with the same semantics backs unit tests.
 */

/**
 * A plain JSON document. One exception: a `Date` value is stored as the database's native
 * timestamp and read back as a `Date` (Firestore TTL policies act on timestamps only).
 */
export type DocData = Record<string, unknown>;

export interface StoredDoc<T extends DocData = DocData> {
  id: string;
  data: T;
}

/** The pseudo-field that orders by document id (Firestore's `__name__`). */
export const DOC_ID = '__id__';

export type WhereOp = '==' | '<' | '<=' | '>' | '>=' | 'array-contains';

export interface Where {
  field: string;
  op: WhereOp;
  value: string | number | boolean | null;
}

export interface OrderBy {
  field: string;
  direction: 'asc' | 'desc';
}

export interface Query {
  collection: string;
  where: Where[];
  /** Must end with {@link DOC_ID} so every position is unique. */
  orderBy: OrderBy[];
  /** Values of `orderBy`, in order: the query starts after this position. */
  startAfter?: unknown[];
  limit: number;
}

/**
 * One atomic unit of work. Reads are tracked; writes are buffered and committed together,
 * each guarded by the version seen when read (a document read as absent must still be
 * absent). A conflicting commit re-runs the whole function, so it must be free of other
 * side effects.
 */
export interface Transaction {
  get<T extends DocData>(collection: string, id: string): Promise<StoredDoc<T> | null>;
  /** Creates a document; the commit fails (and the unit re-runs) if it exists. */
  create(collection: string, id: string, data: DocData): void;
  /** Replaces a document. */
  set(collection: string, id: string, data: DocData): void;
  delete(collection: string, id: string): void;
}

export interface DocumentStore {
  get<T extends DocData>(collection: string, id: string): Promise<StoredDoc<T> | null>;
  query<T extends DocData>(query: Query): Promise<StoredDoc<T>[]>;
  /** How many documents match (Firestore's count aggregation: no documents are read). */
  count(collection: string, where: Where[]): Promise<number>;
  /** Runs `fn` atomically, re-running it on write conflicts (bounded). */
  transact<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** Cheap round trip for health checks. */
  ping(): Promise<void>;
}

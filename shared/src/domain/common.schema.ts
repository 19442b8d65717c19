/** Schemas shared by every entity: ids, timestamps, pages, roles. */
import { z } from 'zod';

/** Opaque ids: letters, digits, `_` and `-`, as Firestore and Firebase Auth make them. */
export const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an id');

/** RFC 3339 timestamp in UTC, as every response writes it. */
export const TimestampSchema = z.iso.datetime({ offset: false });

export const RoleSchema = z.enum(['member', 'admin']);
export type Role = z.infer<typeof RoleSchema>;

/** `?limit=` 1..100, default 20; `?cursor=` opaque. */
export const PageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

/** A page of items, as every list route returns it. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() });
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The caller, as the runtime authenticated them. */
export interface Principal {
  uid: string;
  email: string | undefined;
  role: Role;
}

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
    requestId: z.string(),
  }),
});

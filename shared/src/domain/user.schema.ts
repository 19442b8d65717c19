/** The user entity, as the API shows it, and the inputs that change it. */
import { z } from 'zod';
import { IdSchema, RoleSchema, TimestampSchema } from './common.schema.ts';

const preferences = (name: z.ZodString) =>
  z
    .record(name, z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
    .refine((p) => Object.keys(p).length <= 50, 'at most 50 preferences');

/** Free-form user preferences: a small JSON object of scalar values. */
export const PreferencesSchema = preferences(z.string().min(1).max(64));

/**
 * A preference name a client may set: a plain name. Firestore reserves names matching
 * `__.*__` and refuses them (INVALID_ARGUMENT); a name starting with a letter or digit is
 * never one.
 */
export const PreferenceNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/,
    'must be 1..64 letters, digits, "_", "-", "." or ":", starting with a letter or digit',
  );

export const UserSchema = z.object({
  id: IdSchema,
  email: z.string(),
  displayName: z.string(),
  role: RoleSchema,
  preferences: PreferencesSchema,
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});
export type User = z.infer<typeof UserSchema>;

export const EmailSchema = z.email().max(254);
export const PasswordSchema = z.string().min(8).max(128);
export const DisplayNameSchema = z.string().trim().min(1).max(100);

export const RegisterBodySchema = z.strictObject({
  email: EmailSchema,
  password: PasswordSchema,
  displayName: DisplayNameSchema,
});
export const LoginBodySchema = z.strictObject({
  email: z.string().min(1).max(254),
  password: z.string().min(1).max(128),
});
export const RefreshBodySchema = z.strictObject({ refreshToken: z.string().min(1).max(4096) });
export const PatchMeBodySchema = z
  .strictObject({
    displayName: DisplayNameSchema.optional(),
    preferences: preferences(PreferenceNameSchema).optional(),
  })
  .refine((b) => b.displayName !== undefined || b.preferences !== undefined, 'nothing to change');
export const SetRoleBodySchema = z.strictObject({ role: RoleSchema });

export const SessionSchema = z.object({
  idToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
});
export const AuthResultSchema = SessionSchema.extend({ user: UserSchema });

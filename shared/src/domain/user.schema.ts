/** The user entity, as the API shows it, and the inputs that change it. */
import { z } from 'zod';
import { IdSchema, RoleSchema, TimestampSchema } from './common.schema.ts';

/** Free-form user preferences: a small JSON object of scalar values. */
export const PreferencesSchema = z
  .record(z.string().min(1).max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((p) => Object.keys(p).length <= 50, 'at most 50 preferences');

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
  .strictObject({ displayName: DisplayNameSchema.optional(), preferences: PreferencesSchema.optional() })
  .refine((b) => b.displayName !== undefined || b.preferences !== undefined, 'nothing to change');
export const SetRoleBodySchema = z.strictObject({ role: RoleSchema });

export const SessionSchema = z.object({
  idToken: z.string(),
  refreshToken: z.string(),
  expiresIn: z.number().int(),
});
export const AuthResultSchema = SessionSchema.extend({ user: UserSchema });

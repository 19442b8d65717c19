/** The media entity as the API shows it, and the inputs that act on it. */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.schema.ts';

export const MediaStatusSchema = z.enum(['pending', 'processing', 'ready', 'failed']);
export type MediaStatus = z.infer<typeof MediaStatusSchema>;

export const VariantSchema = z.object({
  name: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  contentType: z.string(),
  size: z.number().int(),
});
export type Variant = z.infer<typeof VariantSchema>;

export const MediaSchema = z.object({
  id: IdSchema,
  ownerId: IdSchema,
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int(),
  status: MediaStatusSchema,
  failureReason: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  variants: z.array(VariantSchema),
  taskIds: z.array(z.string()),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
});
export type Media = z.infer<typeof MediaSchema>;

/** A file name as a client may send it: no path, no control characters. */
export const FilenameSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine(
    (f) =>
      f !== '.' &&
      f !== '..' &&
      ![...f].some((c) => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
    'must be a plain file name',
  );

export const CreateUploadBodySchema = z.strictObject({
  filename: FilenameSchema,
  contentType: z.string().min(1).max(100),
  size: z.number().int().min(1),
});

export const OptimizeBodySchema = z.strictObject({
  format: z.enum(['webp', 'avif', 'jpeg']),
  quality: z.number().int().min(1).max(100).optional(),
  maxWidth: z.number().int().min(16).max(8192).optional(),
});

export const ListMediaQuerySchema = PageQuerySchema.extend({
  taskId: IdSchema.optional(),
  status: MediaStatusSchema.optional(),
  ownerId: IdSchema.optional(),
});

export const ThumbnailQuerySchema = z.strictObject({ size: z.string().min(1).max(40).default('thumb') });
export const MediaIdParamsSchema = z.strictObject({ id: IdSchema });
export const AttachBodySchema = z.strictObject({ mediaId: IdSchema });
export const TaskMediaParamsSchema = z.strictObject({ id: IdSchema, mediaId: IdSchema });

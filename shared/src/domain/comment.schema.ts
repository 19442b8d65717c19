/** Comments on a task. */
import { z } from 'zod';
import { IdSchema, TimestampSchema } from './common.schema.ts';

export const CommentSchema = z.object({
  id: IdSchema,
  taskId: IdSchema,
  authorId: IdSchema,
  body: z.string(),
  createdAt: TimestampSchema,
});
export type Comment = z.infer<typeof CommentSchema>;

export const CreateCommentBodySchema = z.strictObject({ body: z.string().trim().min(1).max(5_000) });

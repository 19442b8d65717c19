/** The task entity as the API shows it, and the bodies and queries that act on it. */
import { z } from 'zod';
import { IdSchema, PageQuerySchema, TimestampSchema } from './common.schema.ts';

export const TaskStatusSchema = z.enum(['PENDING', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED']);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;

export const PrioritySchema = z.enum(['LOW', 'MEDIUM', 'HIGH', 'URGENT']);
export type Priority = z.infer<typeof PrioritySchema>;

export const TitleSchema = z.string().trim().min(1).max(200);
export const DescriptionSchema = z.string().max(10_000);
export const LabelSchema = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .regex(/^[^#]+$/, 'must not contain #');
export const LabelsSchema = z.array(LabelSchema).max(20);
/** A due date: an RFC 3339 timestamp (with offset accepted, stored in UTC). */
export const DueDateSchema = z.iso.datetime({ offset: true }).transform((v) => new Date(v).toISOString());

export const TaskSchema = z.object({
  id: IdSchema,
  title: z.string(),
  description: z.string(),
  status: TaskStatusSchema,
  priority: PrioritySchema,
  dueDate: TimestampSchema.nullable(),
  ownerId: IdSchema,
  assigneeId: IdSchema.nullable(),
  labels: z.array(z.string()),
  mediaIds: z.array(z.string()),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema,
  version: z.number().int().min(1),
});
export type Task = z.infer<typeof TaskSchema>;

export const CreateTaskBodySchema = z.strictObject({
  title: TitleSchema,
  description: DescriptionSchema.optional(),
  status: TaskStatusSchema.optional(),
  priority: PrioritySchema.optional(),
  dueDate: DueDateSchema.nullable().optional(),
  assigneeId: IdSchema.nullable().optional(),
  labels: LabelsSchema.optional(),
});
export type CreateTaskInput = z.infer<typeof CreateTaskBodySchema>;

export const PatchTaskBodySchema = z
  .strictObject({
    title: TitleSchema.optional(),
    description: DescriptionSchema.optional(),
    status: TaskStatusSchema.optional(),
    priority: PrioritySchema.optional(),
    dueDate: DueDateSchema.nullable().optional(),
    assigneeId: IdSchema.nullable().optional(),
    labels: LabelsSchema.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'nothing to change');
export type PatchTaskInput = z.infer<typeof PatchTaskBodySchema>;

export const TaskSortSchema = z.enum([
  'createdAt',
  '-createdAt',
  'dueDate',
  '-dueDate',
  'priority',
  '-priority',
]);
export type TaskSort = z.infer<typeof TaskSortSchema>;

export const ListTasksQuerySchema = PageQuerySchema.extend({
  status: TaskStatusSchema.optional(),
  priority: PrioritySchema.optional(),
  assigneeId: IdSchema.optional(),
  label: LabelSchema.optional(),
  dueBefore: DueDateSchema.optional(),
  dueAfter: DueDateSchema.optional(),
  sort: TaskSortSchema.default('-createdAt'),
});
export type ListTasksQuery = z.infer<typeof ListTasksQuerySchema>;

export const TaskIdParamsSchema = z.strictObject({ id: IdSchema });

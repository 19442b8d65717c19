/**
 * 0001: backfills the fields the task list query filters and sorts on (`priorityRank`,
 * `viewers`, `viewerLabels`), recomputed with the app's own `toTaskDoc`, for tasks
 * written before those fields existed, by another tool, or with stale values (an
 * assignee changed outside the API). Fields other than those three are kept as they are.
 *
 * Why `down` changes nothing: the three fields are a cache of the task's own fields, not
 * information of their own. Version-0 code ignores them (`fromTaskDoc` parses with a
 * schema that drops unknown fields), while the current code cannot list a task without
 * them; stripping them would make every task vanish from listings for as long as this
 * code runs, including tasks the current code wrote itself (which had the fields before
 * the migration, so removing them would not even restore the old data). Rolling back
 * therefore only marks the migration as rolled back, and a later `up` recomputes
 * (idempotently) whatever changed in between.
 */
import { type Task, TaskSchema } from '../domain/task.schema.ts';
import type { DocData, StoredDoc } from '../ports/document-store.ts';
import { TASKS, toTaskDoc } from '../stores/task-store.ts';
import type { Migration } from './migration.ts';

/** The derived fields, as the app would write them; null when the document is not a valid task. */
function derivedFields(doc: StoredDoc): Pick<DocData, 'viewers' | 'viewerLabels' | 'priorityRank'> | null {
  // Older documents may lack the id field the API schema requires; it is the document id.
  const parsed = TaskSchema.safeParse({ ...doc.data, id: doc.data.id ?? doc.id });
  if (!parsed.success) return null;
  const task: Task = parsed.data;
  const { viewers, viewerLabels, priorityRank } = toTaskDoc(task);
  return { viewers, viewerLabels, priorityRank };
}

export const taskSortFields: Migration = {
  id: '0001-task-sort-fields',
  description: 'Recompute priorityRank, viewers and viewerLabels of every task (list filters and sorting).',
  collection: TASKS,
  up(doc) {
    const derived = derivedFields(doc);
    // A document that is not a valid task is left alone: the migration must not guess.
    return derived ? { ...doc.data, ...derived } : null;
  },
  down() {
    return null;
  },
};

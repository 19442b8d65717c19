/**
 * Every data migration, in the order it applies. Append new ones at the end with the
 * next number; never renumber or remove one that may have run somewhere, since its id is
 * the key of its record in the `migrations` collection.
 */

import { taskSortFields } from './0001-task-sort-fields.ts';
import type { Migration } from './migration.ts';

export const MIGRATION_REGISTRY: readonly Migration[] = [taskSortFields];

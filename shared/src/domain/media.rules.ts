/**
 * Rules of media attachments. Both sides are capped so that deleting a task (which updates
 * each of its media) or a media (which updates each of its tasks, with an event each) always
 * fits in one Firestore commit (at most 500 writes).
 */
export const ATTACHMENT_LIMITS = {
  /** Media attached to one task. */
  mediaPerTask: 100,
  /** Tasks one media is attached to. */
  tasksPerMedia: 100,
} as const;

/**
 * Attachments: capped on both sides (so deleting a task or a media stays one commit), and a
 * gallery that shows a media's other tasks only to those who may see them.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ATTACHMENT_LIMITS } from '../domain/media.rules.ts';
import { createLogger, setLogger } from '../logging/logger.ts';
import { createTask } from '../tasks/create-task.ts';
import { type MemoryDeps, memoryDeps, seedUser } from '../testing/memory-deps.ts';
import { attachMedia, mediaOfTask, taskGallery } from './attachments.ts';
import { deleteMedia } from './delete-media.ts';
import { createUpload } from './upload-media.ts';

setLogger(createLogger({ level: 'silent' }));
const member = (uid: string) => ({ uid, email: undefined, role: 'member' as const });
const owner = member('owner');
const origin = { actorId: 'owner', correlationId: 'c1' };

let deps: MemoryDeps;
beforeEach(async () => {
  deps = memoryDeps();
  await seedUser(deps, 'owner');
  await seedUser(deps, 'assignee');
});

/** Firestore's limit on the writes of one commit. */
const FIRESTORE_COMMIT_WRITES = 500;

/** Counts the writes of every commit from now on; returns the largest count so far. */
function countWrites(d: MemoryDeps): () => number {
  let largest = 0;
  const transact = d.store.transact.bind(d.store);
  d.store.transact = (fn) =>
    transact(async (tx) => {
      let writes = 0;
      const counted: typeof tx = {
        get: (c, id) => tx.get(c, id),
        create: (c, id, data) => {
          writes++;
          tx.create(c, id, data);
        },
        set: (c, id, data) => {
          writes++;
          tx.set(c, id, data);
        },
        delete: (c, id) => {
          writes++;
          tx.delete(c, id);
        },
      };
      const result = await fn(counted);
      largest = Math.max(largest, writes);
      return result;
    });
  return () => largest;
}

const newTask = async (assigneeId?: string) =>
  (
    await createTask(
      { actor: owner, origin, body: { title: 't', ...(assigneeId ? { assigneeId } : {}) } },
      deps,
    )
  ).task;
const newMedia = async () =>
  (await createUpload({ actor: owner, filename: 'p.jpg', contentType: 'image/jpeg', size: 10 }, deps)).media;

const attach = (taskId: string, mediaId: string) =>
  attachMedia({ actor: owner, origin, taskId, mediaId }, deps);

describe('attachment caps', () => {
  it(`a task takes at most ${ATTACHMENT_LIMITS.mediaPerTask} media: one more is a 409`, async () => {
    const task = await newTask();
    for (let i = 0; i < ATTACHMENT_LIMITS.mediaPerTask; i++) await attach(task.id, (await newMedia()).id);
    await expect(attach(task.id, (await newMedia()).id)).rejects.toMatchObject({
      code: 'MEDIA.ATTACHMENT_LIMIT',
      status: 409,
    });
  });

  it(`a media is attached to at most ${ATTACHMENT_LIMITS.tasksPerMedia} tasks: one more is a 409, and deleting it stays one commit`, async () => {
    const media = await newMedia();
    for (let i = 0; i < ATTACHMENT_LIMITS.tasksPerMedia; i++) await attach((await newTask()).id, media.id);
    await expect(attach((await newTask()).id, media.id)).rejects.toMatchObject({
      code: 'MEDIA.ATTACHMENT_LIMIT',
      status: 409,
    });
    // Deleting it detaches it from every task, with an event each, in one commit.
    const largest = countWrites(deps);
    await deleteMedia({ actor: owner, origin, id: media.id }, deps);
    expect(largest()).toBeGreaterThan(2 * ATTACHMENT_LIMITS.tasksPerMedia);
    expect(largest()).toBeLessThanOrEqual(FIRESTORE_COMMIT_WRITES);
  });
});

describe('the gallery', () => {
  it("shows a media's taskIds only for the tasks the caller can see", async () => {
    const shared = await newTask('assignee');
    const privateTask = await newTask();
    const media = await newMedia();
    for (const task of [shared, privateTask]) await attach(task.id, media.id);
    const asAssignee = await taskGallery({ actor: member('assignee'), taskId: shared.id }, deps);
    expect(asAssignee.map((m) => m.taskIds)).toEqual([[shared.id]]);
    const sharedNow = (await deps.store.get('tasks', shared.id))!.data as Parameters<
      typeof mediaOfTask
    >[0]['task'];
    expect(
      (await mediaOfTask({ task: sharedNow, viewer: member('assignee') }, deps)).map((m) => m.taskIds),
    ).toEqual([[shared.id]]);
    const asOwner = await taskGallery({ actor: owner, taskId: shared.id }, deps);
    expect(asOwner.map((m) => m.taskIds)).toEqual([[shared.id, privateTask.id]]);
  });
});

/**
 * Media in lists and on tasks: `GET /v1/media` filtered by status and task and paged by
 * cursor, newest first; attaching media to tasks and detaching it (the gallery, `?include=media`,
 * who may attach what), and what deleting a task or a media leaves behind.
 */
import type { Media } from '@taskman/shared/domain/media.schema';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { MediaApiClient } from './client.ts';
import {
  attachMedia,
  createTask,
  expectEmpty,
  expectError,
  expectOk,
  listAll,
  MediaPage,
  readTask,
  StrictMedia,
  StrictTask,
  sleep,
  uploadMultipart,
  waitForMedia,
} from './expectations.ts';
import { follow, startUpload, TIMEOUT } from './media-helpers.ts';

/** `GET /v1/tasks/:id/media`: the task's media in attachment order. */
const Gallery = z.strictObject({ items: z.array(StrictMedia) });
/** `GET /v1/tasks/:id?include=media`: the task with its media. */
const TaskWithMedia = StrictTask.extend({ media: z.array(StrictMedia) }).strict();

export function mediaListsSuite(client: () => MediaApiClient): void {
  describe('media', { timeout: TIMEOUT }, () => {
    describe('lists', () => {
      it('?status= filters, ?taskId= filters, cursors page through everything once, newest first', async () => {
        const api = client();
        const owner = await api.member('lister');
        const ready = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        const failed = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'corrupt-header.jpg')).id,
        );
        expect([ready.status, failed.status]).toEqual(['ready', 'failed']);
        const pending: Media[] = [];
        for (let i = 0; i < 5; i++) {
          pending.push((await startUpload(api, owner, `p${i}.jpg`, 100 + i)).media);
          await sleep(2); // distinct creation times
        }
        const ids = async (query: string) =>
          (await listAll(api, owner, `/v1/media${query}`, MediaPage)).map((m) => m.id);
        expect(await ids('?status=ready')).toEqual([ready.id]);
        expect(await ids('?status=failed')).toEqual([failed.id]);
        expect(await ids('?status=pending')).toEqual(pending.map((m) => m.id).reverse());
        expect(await ids('?status=processing')).toEqual([]);

        const task = await createTask(api, owner);
        for (const m of [failed, ready]) {
          expectOk(
            await api.call('POST', `/v1/tasks/${task.id}/media`, {
              token: owner.token,
              body: { mediaId: m.id },
            }),
            201,
            StrictMedia,
          );
        }
        expect((await ids(`?taskId=${task.id}`)).sort()).toEqual([failed.id, ready.id].sort());
        expect(await ids(`?taskId=${task.id}&status=ready`)).toEqual([ready.id]);
        expect(await ids(`?taskId=${(await createTask(api, owner)).id}`)).toEqual([]);

        // Paging by 2: every media once, in the order of one unpaged read, newest first.
        const all = await listAll(api, owner, '/v1/media', MediaPage);
        expect(all).toHaveLength(7);
        const pages: string[][] = [];
        let cursor: string | null = null;
        do {
          const path: string = `/v1/media?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const page = expectOk(await api.call('GET', path, { token: owner.token }), 200, MediaPage);
          expect(page.items.length).toBeLessThanOrEqual(2);
          pages.push(page.items.map((m) => m.id));
          cursor = page.nextCursor;
        } while (cursor && pages.length < 10);
        expect(pages.flat()).toEqual(all.map((m) => m.id));
        expect(pages.length).toBe(4);
        const created = all.map((m) => m.createdAt);
        expect([...created].sort().reverse()).toEqual(created);
        expect(all.slice(0, 5).map((m) => m.id)).toEqual(pending.map((m) => m.id).reverse());
      });
    });

    describe('attachments', () => {
      it('attach 201, again 200, gallery in attachment order, ?include=media, detach 204', async () => {
        const api = client();
        const owner = await api.member('owner');
        const task = await createTask(api, owner);
        const a = await waitForMedia(api, owner, (await uploadMultipart(api, owner, 'Landscape_6.jpg')).id);
        const b = await waitForMedia(api, owner, (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id);
        const attach = (m: Media) =>
          api.call('POST', `/v1/tasks/${task.id}/media`, { token: owner.token, body: { mediaId: m.id } });
        const first = expectOk(await attach(b), 201, StrictMedia);
        expect(first).toMatchObject({ id: b.id, taskIds: [task.id] });
        expect(expectOk(await attach(b), 200, StrictMedia)).toEqual(first);
        expectOk(await attach(a), 201, StrictMedia);
        expect(expectOk(await attach(a), 200, StrictMedia).taskIds).toEqual([task.id]);

        const gallery = async () =>
          expectOk(await api.call('GET', `/v1/tasks/${task.id}/media`, { token: owner.token }), 200, Gallery)
            .items;
        expect((await gallery()).map((m) => m.id)).toEqual([b.id, a.id]);
        const { task: read } = await readTask(api, owner, task.id);
        expect(read.mediaIds).toEqual([b.id, a.id]);
        const withMedia = expectOk(
          await api.call('GET', `/v1/tasks/${task.id}?include=media`, { token: owner.token }),
          200,
          TaskWithMedia,
        );
        expect(withMedia.media.map((m) => m.id)).toEqual([b.id, a.id]);
        expect(withMedia.media.every((m) => m.taskIds.includes(task.id) && m.status === 'ready')).toBe(true);
        // Without ?include=media the task has no media field.
        expect(await readTask(api, owner, task.id)).toMatchObject({ task: { mediaIds: [b.id, a.id] } });

        expectEmpty(
          await api.call('DELETE', `/v1/tasks/${task.id}/media/${b.id}`, { token: owner.token }),
          204,
        );
        expect((await gallery()).map((m) => m.id)).toEqual([a.id]);
        expect(
          expectOk(await api.call('GET', `/v1/media/${b.id}`, { token: owner.token }), 200, StrictMedia)
            .taskIds,
        ).toEqual([]);
        expectError(
          await api.call('DELETE', `/v1/tasks/${task.id}/media/${b.id}`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        // Attached again: at the end.
        expectOk(await attach(b), 201, StrictMedia);
        expect((await gallery()).map((m) => m.id)).toEqual([a.id, b.id]);
      });

      it("someone else's media → 404; an assignee attaching to a task they do not own → 403", async () => {
        const api = client();
        const [owner, assignee, stranger] = [
          await api.member('owner'),
          await api.member('assignee'),
          await api.member('stranger'),
        ];
        const task = await createTask(api, owner, { assigneeId: assignee.uid });
        const strangers = await uploadMultipart(api, stranger, 'Landscape_1.jpg');
        const assignees = await uploadMultipart(api, assignee, 'Landscape_1.jpg');
        expectError(
          await api.call('POST', `/v1/tasks/${task.id}/media`, {
            token: owner.token,
            body: { mediaId: strangers.id },
          }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expectError(
          await api.call('POST', `/v1/tasks/${task.id}/media`, {
            token: assignee.token,
            body: { mediaId: assignees.id },
          }),
          403,
          'AUTH.FORBIDDEN',
        );
        // The assignee sees the (empty) gallery; nothing was attached.
        expect(
          expectOk(
            await api.call('GET', `/v1/tasks/${task.id}/media`, { token: assignee.token }),
            200,
            Gallery,
          ).items,
        ).toEqual([]);
        expect((await readTask(api, owner, task.id)).task.mediaIds).toEqual([]);
        for (const [who, m] of [
          [stranger, strangers],
          [assignee, assignees],
        ] as const) {
          expect(
            expectOk(await api.call('GET', `/v1/media/${m.id}`, { token: who.token }), 200, StrictMedia)
              .taskIds,
          ).toEqual([]);
        }
      });

      it("the gallery shows an assignee a media's tasks only where they may see them", async () => {
        const api = client();
        const [owner, assignee] = [await api.member('owner'), await api.member('assignee')];
        const shared = await createTask(api, owner, { assigneeId: assignee.uid });
        const hidden = await createTask(api, owner, { title: 'Private plans' });
        const media = await uploadMultipart(api, owner, 'Landscape_1.jpg');
        for (const task of [shared, hidden]) await attachMedia(api, owner, task.id, media.id);
        expectError(
          await api.call('GET', `/v1/tasks/${hidden.id}`, { token: assignee.token }),
          404,
          'TASK.NOT_FOUND',
        );
        const gallery = expectOk(
          await api.call('GET', `/v1/tasks/${shared.id}/media`, { token: assignee.token }),
          200,
          Gallery,
        );
        expect(gallery.items.map((m) => [m.id, m.taskIds])).toEqual([[media.id, [shared.id]]]);
        const withMedia = expectOk(
          await api.call('GET', `/v1/tasks/${shared.id}?include=media`, { token: assignee.token }),
          200,
          TaskWithMedia,
        );
        expect(withMedia.media.map((m) => m.taskIds)).toEqual([[shared.id]]);
        // Its owner sees both.
        const own = expectOk(
          await api.call('GET', `/v1/tasks/${shared.id}/media`, { token: owner.token }),
          200,
          Gallery,
        );
        expect(own.items.map((m) => m.taskIds)).toEqual([[shared.id, hidden.id]]);
      });

      it('deleting the task detaches its media, which stay with their owner', async () => {
        const api = client();
        const owner = await api.member('owner');
        const task = await createTask(api, owner);
        const other = await createTask(api, owner);
        const media = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        for (const t of [task, other]) {
          expectOk(
            await api.call('POST', `/v1/tasks/${t.id}/media`, {
              token: owner.token,
              body: { mediaId: media.id },
            }),
            201,
            StrictMedia,
          );
        }
        expectEmpty(await api.call('DELETE', `/v1/tasks/${task.id}`, { token: owner.token }), 204);
        const after = expectOk(
          await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }),
          200,
          StrictMedia,
        );
        expect(after).toMatchObject({ status: 'ready', taskIds: [other.id] });
        expectEmpty(await api.call('DELETE', `/v1/tasks/${other.id}`, { token: owner.token }), 204);
        expect(
          expectOk(await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }), 200, StrictMedia)
            .taskIds,
        ).toEqual([]);
        await follow(api, owner, `/v1/media/${media.id}/thumbnail?size=thumb`);
      });

      it('deleting media: 204, detached from its tasks, original and variants gone; again → 404', async () => {
        const api = client();
        const owner = await api.member('owner');
        const task = await createTask(api, owner);
        const keep = await waitForMedia(
          api,
          owner,
          (await uploadMultipart(api, owner, 'Landscape_1.jpg')).id,
        );
        const media = await waitForMedia(api, owner, (await uploadMultipart(api, owner, 'blackbug.png')).id);
        for (const m of [media, keep]) {
          expectOk(
            await api.call('POST', `/v1/tasks/${task.id}/media`, {
              token: owner.token,
              body: { mediaId: m.id },
            }),
            201,
            StrictMedia,
          );
        }
        const original = (await follow(api, owner, `/v1/media/${media.id}/download`)).location;
        const thumb = (await follow(api, owner, `/v1/media/${media.id}/thumbnail?size=thumb`)).location;
        expect(await api.storage.list(`variants/${media.id}/`)).toHaveLength(3);
        expect(await api.storage.list(`uploads/${owner.uid}/${media.id}/`)).toHaveLength(1);

        expectEmpty(await api.call('DELETE', `/v1/media/${media.id}`, { token: owner.token }), 204);
        expectError(
          await api.call('GET', `/v1/media/${media.id}`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expectError(
          await api.call('GET', `/v1/media/${media.id}/download`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expect((await readTask(api, owner, task.id)).task.mediaIds).toEqual([keep.id]);
        expect(
          expectOk(
            await api.call('GET', `/v1/tasks/${task.id}/media`, { token: owner.token }),
            200,
            Gallery,
          ).items.map((m) => m.id),
        ).toEqual([keep.id]);
        expect(await api.storage.list(`variants/${media.id}/`)).toEqual([]);
        expect(await api.storage.list(`uploads/${owner.uid}/${media.id}/`)).toEqual([]);
        // Links handed out before the delete lead nowhere now.
        expect((await api.storage.fetchSigned(original, { method: 'GET' })).status).toBe(404);
        expect((await api.storage.fetchSigned(thumb, { method: 'GET' })).status).toBe(404);
        expectError(
          await api.call('DELETE', `/v1/media/${media.id}`, { token: owner.token }),
          404,
          'MEDIA.NOT_FOUND',
        );
        expect((await listAll(api, owner, '/v1/media', MediaPage)).map((m) => m.id)).toEqual([keep.id]);
      });
    });
  });
}

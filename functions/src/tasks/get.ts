/** GET /v1/tasks/{id}: a visible task with its ETag; If-None-Match answers 304. */
import { http } from '@google-cloud/functions-framework';
import { mediaOfTask } from '@taskman/shared/media/attachments';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { etagMatches, taskEtag } from '@taskman/shared/stores/task-store';
import { getTask } from '@taskman/shared/tasks/get-task';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.tasksGet.name,
  httpFunction(API.tasksGet, async ({ principal, params, query, header }) => {
    const task = await getTask({ actor: principal, id: params.id }, appDeps());
    const headers = { ETag: taskEtag(task), 'Cache-Control': 'private, no-cache' };
    const ifNoneMatch = header('if-none-match');
    if (ifNoneMatch && etagMatches(ifNoneMatch, task)) return { status: 304, headers };
    const deps = appDeps();
    return {
      status: 200,
      body:
        query.include === 'media'
          ? { ...task, media: await mediaOfTask({ task, viewer: principal }, deps) }
          : task,
      headers,
    };
  }),
);

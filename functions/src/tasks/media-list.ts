/** GET /v1/tasks/{id}/media: the task's gallery in attachment order. */
import { http } from '@google-cloud/functions-framework';
import { taskGallery } from '@taskman/shared/media/attachments';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.taskMediaList.name,
  httpFunction(API.taskMediaList, async ({ principal, params }) => ({
    status: 200,
    body: { items: await taskGallery({ actor: principal, taskId: params.id }, appDeps()) },
  })),
);

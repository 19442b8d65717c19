/** GET /v1/tasks/{id}/comments: a visible task's comments, oldest first. */
import { http } from '@google-cloud/functions-framework';
import { listComments } from '@taskman/shared/comments/comments';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.commentsList.name,
  httpFunction(API.commentsList, async ({ principal, params, query }) => ({
    status: 200,
    body: await listComments({ actor: principal, taskId: params.id, ...query }, appDeps()),
  })),
);

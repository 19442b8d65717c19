/** POST /v1/tasks/{id}/comments: comment on a visible task (Idempotency-Key replays). */
import { http } from '@google-cloud/functions-framework';
import { addComment } from '@taskman/shared/comments/comments';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.commentsCreate.name,
  httpFunction(API.commentsCreate, async ({ principal, params, body, idempotency }) => {
    const { comment, replayed } = await addComment(
      { actor: principal, taskId: params.id, body: body.body, idempotency },
      appDeps(),
    );
    return {
      status: 201,
      body: comment,
      headers: {
        ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      },
    };
  }),
);

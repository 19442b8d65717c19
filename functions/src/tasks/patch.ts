/** PATCH /v1/tasks/{id}: change a task (If-Match optional); publishes `task.updated`. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { taskEtag } from '@taskman/shared/stores/task-store';
import { updateTask } from '@taskman/shared/tasks/update-task';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.tasksPatch.name,
  httpFunction(API.tasksPatch, async ({ principal, params, body, context, header }) => {
    const ifMatch = header('if-match');
    const task = await updateTask(
      {
        actor: principal,
        origin: { actorId: principal.uid, correlationId: context.correlationId },
        id: params.id,
        patch: body,
        ...(ifMatch !== undefined ? { ifMatch } : {}),
      },
      appDeps(),
    );
    return { status: 200, body: task, headers: { ETag: taskEtag(task) } };
  }),
);

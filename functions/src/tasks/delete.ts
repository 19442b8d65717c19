/** DELETE /v1/tasks/{id}: delete a task (owner or admin); publishes `task.deleted`. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { deleteTask } from '@taskman/shared/tasks/delete-task';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.tasksDelete.name,
  httpFunction(API.tasksDelete, async ({ principal, params, context, header }) => {
    const ifMatch = header('if-match');
    await deleteTask(
      {
        actor: principal,
        origin: { actorId: principal.uid, correlationId: context.correlationId },
        id: params.id,
        ...(ifMatch !== undefined ? { ifMatch } : {}),
      },
      appDeps(),
    );
    return { status: 204 };
  }),
);

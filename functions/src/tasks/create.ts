/** POST /v1/tasks: create a task (Idempotency-Key replays); publishes `task.created`. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { taskEtag } from '@taskman/shared/stores/task-store';
import { createTask } from '@taskman/shared/tasks/create-task';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.tasksCreate.name,
  httpFunction(API.tasksCreate, async ({ principal, body, context, idempotency }) => {
    const { task, replayed } = await createTask(
      {
        actor: principal,
        origin: { actorId: principal.uid, correlationId: context.correlationId },
        body,
        idempotency,
      },
      appDeps(),
    );
    return {
      status: 201,
      body: task,
      headers: {
        Location: `/v1/tasks/${task.id}`,
        ETag: taskEtag(task),
        ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      },
    };
  }),
);

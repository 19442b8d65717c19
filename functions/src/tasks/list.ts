/** GET /v1/tasks: the caller's visible tasks, filtered, sorted and paged. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { listTasks } from '@taskman/shared/tasks/list-tasks';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.tasksList.name,
  httpFunction(API.tasksList, async ({ principal, query }) => ({
    status: 200,
    body: await listTasks({ actor: principal, query }, appDeps()),
  })),
);

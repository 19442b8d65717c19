/** GET /v1/users (admin): every user, oldest first, in pages. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { listUsers } from '@taskman/shared/users/profile';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.usersList.name,
  httpFunction(API.usersList, async ({ query }) => ({
    status: 200,
    body: await listUsers(query, appDeps()),
  })),
);

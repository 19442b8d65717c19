/** GET /v1/users/{id}: a user, for themself or an admin (404 for anyone else). */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { getUser } from '@taskman/shared/users/profile';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.usersGet.name,
  httpFunction(API.usersGet, async ({ principal, params }) => ({
    status: 200,
    body: await getUser({ actor: principal, id: params.id }, appDeps()),
  })),
);

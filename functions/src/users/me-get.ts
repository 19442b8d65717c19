/** GET /v1/me: the caller's profile. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { getUser } from '@taskman/shared/users/profile';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.meGet.name,
  httpFunction(API.meGet, async ({ principal }) => ({
    status: 200,
    body: await getUser({ actor: principal, id: principal.uid }, appDeps()),
  })),
);

/** PUT /v1/users/{id}/role (admin): set a user's role claim and profile role. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { evictUser } from '@taskman/shared/runtime/token-cache';
import { setUserRole } from '@taskman/shared/users/profile';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.usersSetRole.name,
  httpFunction(API.usersSetRole, async ({ params, body }) => {
    const user = await setUserRole({ id: params.id, role: body.role }, appDeps());
    // At once on this instance; other instances re-verify the user's tokens within a minute.
    evictUser(params.id);
    return { status: 200, body: user };
  }),
);

/** POST /v1/auth/logout: revoke the caller's sessions; their tokens stop working. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { evictUser } from '@taskman/shared/runtime/token-cache';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.authLogout.name,
  httpFunction(API.authLogout, async ({ principal }) => {
    await appDeps().identity.revokeSessions(principal.uid);
    evictUser(principal.uid);
    return { status: 204 };
  }),
);

/** POST /v1/auth/refresh: a refresh token → a new ID token and a rotated refresh token. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.authRefresh.name,
  httpFunction(API.authRefresh, async ({ body }) => {
    const session = await appDeps().identity.refresh(body.refreshToken);
    return {
      status: 200,
      body: { idToken: session.idToken, refreshToken: session.refreshToken, expiresIn: session.expiresIn },
      headers: { 'Cache-Control': 'no-store' },
    };
  }),
);

/** POST /v1/auth/login: email and password → tokens; one 401 for any wrong credential. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { loginUser } from '@taskman/shared/users/login-user';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.authLogin.name,
  httpFunction(API.authLogin, async ({ body }) => {
    const { user, session } = await loginUser(body, appDeps());
    return {
      status: 200,
      body: {
        user,
        idToken: session.idToken,
        refreshToken: session.refreshToken,
        expiresIn: session.expiresIn,
      },
      headers: { 'Cache-Control': 'no-store' },
    };
  }),
);

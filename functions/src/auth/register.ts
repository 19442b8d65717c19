/** POST /v1/auth/register: create an account and sign in; publishes `user.registered`. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { registerUser } from '@taskman/shared/users/register-user';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.authRegister.name,
  httpFunction(API.authRegister, async ({ body, context }) => {
    const { user, session } = await registerUser(
      { ...body, origin: { correlationId: context.correlationId } },
      appDeps(),
    );
    return {
      status: 201,
      body: {
        user,
        idToken: session.idToken,
        refreshToken: session.refreshToken,
        expiresIn: session.expiresIn,
      },
      headers: { 'Cache-Control': 'no-store', Location: `/v1/users/${user.id}` },
    };
  }),
);

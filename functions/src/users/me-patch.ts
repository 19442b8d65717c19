/** PATCH /v1/me: change the caller's display name or preferences. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { updateProfile } from '@taskman/shared/users/profile';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.mePatch.name,
  httpFunction(API.mePatch, async ({ principal, body }) => ({
    status: 200,
    body: await updateProfile({ actor: principal, ...body }, appDeps()),
  })),
);

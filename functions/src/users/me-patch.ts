/** PATCH /v1/me: change the caller's display name or preferences. */
import { http } from '@google-cloud/functions-framework';
import { appDeps } from '@taskman/shared/runtime/deps';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { updateProfile } from '@taskman/shared/users/profile';
import { API } from '../manifest.ts';

http(
  API.mePatch.name,
  httpFunction(API.mePatch, async ({ principal, body }) => ({
    status: 200,
    body: await updateProfile({ actor: principal, ...body }, appDeps()),
  })),
);

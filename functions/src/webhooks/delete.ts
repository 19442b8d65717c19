/** DELETE /v1/webhooks/{id}: remove one of the caller's webhooks; 404 for anyone else's. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { deleteWebhook } from '@taskman/shared/webhooks/registration';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.webhooksDelete.name,
  httpFunction(API.webhooksDelete, async ({ principal, params }) => {
    await deleteWebhook({ actor: principal, id: params.id }, appDeps());
    return { status: 204 };
  }),
);

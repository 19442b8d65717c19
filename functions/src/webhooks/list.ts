/** GET /v1/webhooks: the caller's webhooks, newest first, without secrets. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { listWebhooks } from '@taskman/shared/webhooks/registration';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.webhooksList.name,
  httpFunction(API.webhooksList, async ({ principal, query }) => ({
    status: 200,
    body: await listWebhooks({ actor: principal, query }, appDeps()),
  })),
);

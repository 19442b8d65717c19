/** POST /v1/webhooks: register a webhook; 201 with its secret, shown only here. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { createWebhook } from '@taskman/shared/webhooks/registration';
import { webhookConfig } from '@taskman/shared/webhooks/webhook-config';
import { systemResolver } from '@taskman/shared/webhooks/webhook-url';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.webhooksCreate.name,
  httpFunction(API.webhooksCreate, async ({ principal, body }) => {
    const created = await createWebhook(
      { actor: principal, body },
      { ...appDeps(), webhooks: webhookConfig(), resolve: systemResolver },
    );
    return { status: 201, body: created, headers: { Location: `/v1/webhooks/${created.id}` } };
  }),
);

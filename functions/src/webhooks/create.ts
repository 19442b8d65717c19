/** POST /v1/webhooks: register a webhook (Idempotency-Key replays); 201 with its secret, shown only here and never cached. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { createWebhook } from '@taskman/shared/webhooks/registration';
import { appWebhookDeps } from '@taskman/shared/wiring/webhook-deps';
import { API } from '../manifest.ts';

http(
  API.webhooksCreate.name,
  httpFunction(API.webhooksCreate, async ({ principal, body, idempotency }) => {
    const { webhook, replayed } = await createWebhook(
      { actor: principal, body, idempotency },
      appWebhookDeps(),
    );
    return {
      status: 201,
      body: webhook,
      headers: {
        'Cache-Control': 'no-store',
        Location: `/v1/webhooks/${webhook.id}`,
        ...(replayed ? { 'Idempotent-Replayed': 'true' } : {}),
      },
    };
  }),
);

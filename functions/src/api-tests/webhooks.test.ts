/** Webhooks: registration, URL checks, signed delivery, retries, sealed secrets and their rotation, dead-lettered commands: in-process run (functions on in-memory adapters; the retry sweep run by the test). */

import type { Command } from '@taskman/shared/domain/command.schema';
import { sweepDueDeliveries } from '@taskman/shared/webhooks/retry-sweep';
import { rotateWebhookSecrets } from '@taskman/shared/webhooks/rotate-secrets';
import { resetWebhookConfig, webhookConfig } from '@taskman/shared/webhooks/webhook-config';
import { type DeliveryDoc, WEBHOOK_DELIVERIES } from '@taskman/shared/webhooks/webhook-store';
import { useInProcessApi } from './use-in-process.ts';
import { webhooksSuite } from './webhooks.suite.ts';

// Retries within milliseconds here; the harness allows loopback receivers.
process.env.WEBHOOK_RETRY_BASE_MS = '20';
process.env.WEBHOOK_MAX_ATTEMPTS = '3';
process.env.WEBHOOK_TIMEOUT_MS = '2000';
resetWebhookConfig();

const api = useInProcessApi();
webhooksSuite(api, {
  maxAttempts: 3,
  tick: async () => {
    const { deps } = api();
    await sweepDueDeliveries({}, { ...deps, webhooks: webhookConfig() });
    await api().idle();
  },
  deliveryStatus: async (id) =>
    (await api().deps.store.get<DeliveryDoc>(WEBHOOK_DELIVERIES, id))?.data.status,
  store: () => api().deps.store,
  rotateKeys: async () => {
    const { deps } = api();
    deps.keyring.rotate();
    await rotateWebhookSecrets({ batchSize: 50, dryRun: false }, deps);
  },
  // Any JSON on the topic, as another publisher (or a bug) could send it.
  publishRaw: (topic, data) => api().deps.publisher.send(topic, data as Command),
});

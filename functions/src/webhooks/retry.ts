/** webhookRetry, run every minute through a Pub/Sub tick: re-sends deliveries whose next attempt is due. */
import { eventEntry } from '@taskman/shared/runtime/event-function';
import { sweepDueDeliveries } from '@taskman/shared/webhooks/retry-sweep';
import { webhookConfig } from '@taskman/shared/webhooks/webhook-config';
import { appDeps } from '@taskman/shared/wiring/app-deps';

eventEntry('webhookRetry', async () => {
  await sweepDueDeliveries({}, { ...appDeps(), webhooks: webhookConfig() });
});

/** webhookRetry, run every minute through a Pub/Sub tick: re-sends deliveries whose next attempt is due, draining a backlog within the function's time. */
import { eventEntry } from '@taskman/shared/runtime/event-function';
import { sweepDueDeliveries } from '@taskman/shared/webhooks/retry-sweep';
import { webhookConfig } from '@taskman/shared/webhooks/webhook-config';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { drainBudgetMs } from '../manifest.ts';

eventEntry('webhookRetry', async () => {
  await sweepDueDeliveries(
    { budgetMs: drainBudgetMs('webhookRetry') },
    { ...appDeps(), webhooks: webhookConfig() },
  );
});

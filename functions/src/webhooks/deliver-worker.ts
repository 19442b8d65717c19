/** deliverWebhook, on the `webhook-deliveries` command topic: one signed POST per command, its outcome recorded. */
import { requireMessage } from '@taskman/shared/application/consumer';
import { CommandSchema } from '@taskman/shared/domain/command.schema';
import { eventEntry } from '@taskman/shared/runtime/event-function';
import { deliverWebhook } from '@taskman/shared/webhooks/deliver-webhook';
import { webhookConfig } from '@taskman/shared/webhooks/webhook-config';
import { systemResolver } from '@taskman/shared/webhooks/webhook-url';
import { appDeps } from '@taskman/shared/wiring/app-deps';

eventEntry('deliverWebhook', async (message) => {
  const command = requireMessage(message, CommandSchema, 'a webhook.deliver command');
  // Every outcome is recorded on the delivery: nothing here asks the platform to retry
  // but a failure of the store itself (thrown, retryable).
  await deliverWebhook(command, { ...appDeps(), webhooks: webhookConfig(), resolve: systemResolver });
});

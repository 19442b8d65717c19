/** deliverWebhook, on the `webhook-deliveries` command topic: one signed POST per command, its outcome recorded; a malformed command is dead-lettered. */
import { commandEntry } from '@taskman/shared/runtime/event-function';
import { deliverWebhook } from '@taskman/shared/webhooks/deliver-webhook';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { appWebhookDeps } from '@taskman/shared/wiring/webhook-deps';

// Every outcome is recorded on the delivery: nothing here asks the platform to retry but a
// failure of the store or the keyring itself (thrown, retryable).
commandEntry('deliverWebhook', (command) => deliverWebhook(command, appWebhookDeps()), appDeps);

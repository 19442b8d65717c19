/** deliverWebhook, on the `webhook-deliveries` command topic: one signed POST per command, its outcome recorded. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { deliverWebhookFunction } from '@taskman/shared/webhooks/webhook-functions';

cloudEvent('deliverWebhook', deliverWebhookFunction('deliverWebhook'));

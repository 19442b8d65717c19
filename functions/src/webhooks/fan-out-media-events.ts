/** webhookMediaEvents, on `media-events`: one delivery per matching webhook of each envelope, made once. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { webhookFanOutFunction } from '@taskman/shared/webhooks/webhook-functions';

cloudEvent('webhookMediaEvents', webhookFanOutFunction('webhookMediaEvents'));

/** webhookRetry, run every minute through a Pub/Sub tick: re-sends deliveries whose next attempt is due. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { webhookRetryFunction } from '@taskman/shared/webhooks/webhook-functions';

cloudEvent('webhookRetry', webhookRetryFunction('webhookRetry'));

/** webhookUserEvents, on `user-events`: one delivery per matching webhook of each envelope, made once; the commands go out after the commit. */
import { consumerEntry } from '@taskman/shared/runtime/event-function';
import { fanOutConsumer } from '@taskman/shared/webhooks/fan-out';
import { webhookConfig } from '@taskman/shared/webhooks/webhook-config';
import { appDeps } from '@taskman/shared/wiring/app-deps';

consumerEntry('webhookUserEvents', fanOutConsumer(webhookConfig), appDeps);

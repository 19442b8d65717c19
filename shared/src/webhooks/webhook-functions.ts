/**
 * The webhook functions' runtime wiring, shared by their entries: the fan-out consumer
 * (sending the commands its unit of work recorded once it has committed), the delivery
 * worker on the command topic, and the scheduled retry sweep.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CloudEvent } from '@google-cloud/functions-framework';
import { requireMessage } from '../application/consumer.ts';
import { dispatchCommands } from '../application/outbox.ts';
import { CommandSchema } from '../domain/command.schema.ts';
import { consumerFunction, eventFunction } from '../runtime/event-function.ts';
import { appDeps } from '../wiring/app-deps.ts';
import { webhookConfig } from './webhook-config.ts';
import { systemResolver } from './webhook-url.ts';
import { deliverWebhook, dueDeliveryCommands, fanOutConsumer, type PendingCommands } from './webhooks.ts';

/** The commands of the fan-out in progress, per invocation (instances serve several at once). */
const pending = new AsyncLocalStorage<PendingCommands>();

/**
 * A fan-out consumer function: exactly once per envelope (`consumerFunction`); the
 * `webhook.deliver` commands go out right after the commit, and the outbox relay sends any
 * whose send failed.
 */
export function webhookFanOutFunction(name: string): (event: CloudEvent<unknown>) => Promise<void> {
  const inner = consumerFunction(
    name,
    fanOutConsumer(() => pending.getStore(), webhookConfig),
    appDeps,
  );
  return async (event) => {
    const commands: PendingCommands = [];
    await pending.run(commands, () => inner(event));
    await dispatchCommands(appDeps(), commands);
  };
}

/** The delivery worker: one attempt per `webhook.deliver` command. */
export function deliverWebhookFunction(name: string): (event: CloudEvent<unknown>) => Promise<void> {
  return eventFunction(name, async (message) => {
    const command = requireMessage(message, CommandSchema, 'a webhook.deliver command');
    // Every outcome is recorded on the delivery: nothing here asks the platform to retry
    // but a failure of the store itself (thrown, retryable).
    await deliverWebhook(command, appDeps(), { config: webhookConfig(), resolve: systemResolver });
  });
}

/** The retry sweep, on a scheduled tick: sends the commands of due deliveries. */
export function webhookRetryFunction(name: string): (event: CloudEvent<unknown>) => Promise<void> {
  return eventFunction(name, async () => {
    const deps = appDeps();
    await dispatchCommands(deps, await dueDeliveryCommands(deps, webhookConfig()));
  });
}

/**
 * outboxRelay, run every minute by Cloud Scheduler through a Pub/Sub tick: publishes events
 * whose inline publish failed (a crash or a Pub/Sub outage between commit and publish),
 * draining a backlog in parallel batches until it is empty or the function's time is spent.
 */
import { relayOutbox } from '@taskman/shared/application/outbox';
import { eventEntry } from '@taskman/shared/runtime/event-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { drainBudgetMs } from '../manifest.ts';

eventEntry('outboxRelay', async () => {
  // Failures stay in the outbox for the next tick; retrying this tick would only add load.
  await relayOutbox(appDeps(), { budgetMs: drainBudgetMs('outboxRelay') });
});

/**
 * The retry sweep, run on a schedule: nothing waits in a function. For each pending
 * delivery whose `nextAttemptAt` has passed it emits the next attempt's command, pushing
 * `nextAttemptAt` past the time that attempt may take; this also recovers a lost command
 * or a crashed worker. A backlog (a Pub/Sub outage) is drained in parallel batches within
 * the function's time budget, not 100 a minute.
 */
import { forEachBounded, forEachPage, timeLeft } from '../application/bounded.ts';
import { inUnitOfWork } from '../application/unit-of-work.ts';
import { COMMAND_TOPICS, type Command } from '../domain/command.schema.ts';
import type { Deps } from '../ports/deps.ts';
import { DOC_ID } from '../ports/document-store.ts';
import {
  type DeliveryDoc,
  deliverCommand,
  redispatchAfterMs,
  WEBHOOK_DELIVERIES,
  type WebhookDeps,
} from './webhook-store.ts';

export interface SweepOptions {
  /** Due deliveries read at a time. */
  batchSize: number;
  /** Deliveries re-sent in parallel. */
  concurrency: number;
  /** No new delivery is started after this long (the function's timeout less a margin). */
  budgetMs: number;
}

export const SWEEP_DEFAULTS: SweepOptions = { batchSize: 200, concurrency: 16, budgetMs: 60_000 };

/**
 * The retry sweep: for each pending delivery whose `nextAttemptAt` has passed, records the
 * next attempt's command (pushing `nextAttemptAt` past the time it may take), in batches
 * of due deliveries re-sent `concurrency` at a time, until a batch comes back short or the
 * budget is spent. Returns the commands sent.
 */
export async function sweepDueDeliveries(
  overrides: Partial<SweepOptions>,
  deps: Pick<Deps, 'store' | 'publisher' | 'clock' | 'ids'> & Pick<WebhookDeps, 'webhooks'>,
): Promise<{ topic: string; command: Command }[]> {
  const options = { ...SWEEP_DEFAULTS, ...overrides };
  const inTime = timeLeft(options.budgetMs);
  const now = deps.clock.now();
  const sent: { topic: string; command: Command }[] = [];
  const due = {
    collection: WEBHOOK_DELIVERIES,
    where: [
      { field: 'status', op: '==' as const, value: 'pending' },
      { field: 'nextAttemptAt', op: '<=' as const, value: now.toISOString() },
    ],
    orderBy: [
      { field: 'nextAttemptAt', direction: 'asc' as const },
      { field: DOC_ID, direction: 'asc' as const },
    ],
  };
  await forEachPage<DeliveryDoc>(deps.store, due, options.batchSize, inTime, async (page) => {
    await forEachBounded(
      page,
      options.concurrency,
      async (row) => {
        const command = await resend(row.id, now, deps);
        if (command) sent.push({ topic: COMMAND_TOPICS.deliverWebhook, command });
      },
      inTime,
    );
    return true;
  });
  return sent;
}

/** Re-sends the next attempt of delivery `id` if it is still due at `now`; the command sent, or null. */
function resend(
  id: string,
  now: Date,
  deps: Pick<Deps, 'store' | 'publisher' | 'clock' | 'ids'> & Pick<WebhookDeps, 'webhooks'>,
): Promise<Command | null> {
  return inUnitOfWork(deps, async (tx, emit) => {
    const current = await tx.get<DeliveryDoc>(WEBHOOK_DELIVERIES, id);
    if (!current) return null;
    const doc = current.data;
    if (doc.status !== 'pending' || !doc.nextAttemptAt || doc.nextAttemptAt > now.toISOString()) return null;
    tx.set(WEBHOOK_DELIVERIES, id, {
      ...doc,
      nextAttemptAt: new Date(now.getTime() + redispatchAfterMs(deps.webhooks)).toISOString(),
      updatedAt: now.toISOString(),
    });
    const next = deliverCommand(
      deps,
      { deliveryId: id, attempt: doc.attempts.length + 1 },
      { correlationId: `webhook-retry-${id}`, actorId: null },
    );
    emit.command(COMMAND_TOPICS.deliverWebhook, next);
    return next;
  });
}

/**
 * The retry sweep, run on a schedule: nothing waits in a function. For each pending
 * delivery whose `nextAttemptAt` has passed it emits the next attempt's command, pushing
 * `nextAttemptAt` past the time that attempt may take; this also recovers a lost command
 * or a crashed worker.
 */
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

/**
 * The retry sweep: for each pending delivery whose `nextAttemptAt` has passed, records the
 * next attempt's command (pushing `nextAttemptAt` past the time it may take) and returns
 * the commands sent.
 */
export async function sweepDueDeliveries(
  { batchSize = 100 }: { batchSize?: number },
  deps: Pick<Deps, 'store' | 'publisher' | 'clock' | 'ids'> & Pick<WebhookDeps, 'webhooks'>,
): Promise<{ topic: string; command: Command }[]> {
  const now = deps.clock.now();
  const due = await deps.store.query<DeliveryDoc>({
    collection: WEBHOOK_DELIVERIES,
    where: [
      { field: 'status', op: '==', value: 'pending' },
      { field: 'nextAttemptAt', op: '<=', value: now.toISOString() },
    ],
    orderBy: [
      { field: 'nextAttemptAt', direction: 'asc' },
      { field: DOC_ID, direction: 'asc' },
    ],
    limit: batchSize,
  });
  const sent: { topic: string; command: Command }[] = [];
  for (const row of due) {
    const command = await inUnitOfWork(deps, async (tx, emit) => {
      const current = await tx.get<DeliveryDoc>(WEBHOOK_DELIVERIES, row.id);
      if (!current) return null;
      const doc = current.data;
      if (doc.status !== 'pending' || !doc.nextAttemptAt || doc.nextAttemptAt > now.toISOString())
        return null;
      tx.set(WEBHOOK_DELIVERIES, row.id, {
        ...doc,
        nextAttemptAt: new Date(now.getTime() + redispatchAfterMs(deps.webhooks)).toISOString(),
        updatedAt: now.toISOString(),
      });
      const next = deliverCommand(
        deps,
        { deliveryId: row.id, attempt: doc.attempts.length + 1 },
        { correlationId: `webhook-retry-${row.id}`, actorId: null },
      );
      emit.command(COMMAND_TOPICS.deliverWebhook, next);
      return next;
    });
    if (command) sent.push({ topic: COMMAND_TOPICS.deliverWebhook, command });
  }
  return sent;
}

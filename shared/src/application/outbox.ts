/**
 * The transactional outbox: an event is written in the same unit of work as the change it
 * describes, published right after the commit, and deleted once Pub/Sub has it. If the
 * process dies between commit and publish, `relayOutbox` (run on a schedule) publishes it
 * later, draining any backlog in parallel batches within its time budget. Delivery is at
 * least once; consumers de-duplicate by envelope id.
 */
import type { Command } from '../domain/command.schema.ts';
import {
  type EventData,
  type EventEnvelope,
  type EventOf,
  type EventType,
  topicFor,
} from '../domain/event.schema.ts';
import { currentContext } from '../logging/context.ts';
import { logs } from '../logging/logs.ts';
import type { Deps } from '../ports/deps.ts';
import type { Transaction } from '../ports/document-store.ts';
import { DOC_ID } from '../ports/document-store.ts';
import { forEachBounded, forEachPage, timeLeft } from './bounded.ts';

export const OUTBOX = 'outbox';

/** An outbox entry as stored: the message, when and under which trace it was recorded. */
type OutboxDoc = OutboxMessage & {
  [key: string]: unknown;
  createdAt: string;
  traceparent: string | null;
  /** A relay holding the entry until this time; others leave it alone. */
  leaseUntil: string | null;
};

export interface EventOrigin {
  actorId: string | null;
  correlationId: string;
}

/** A new envelope, stamped with the clock, a fresh id and the caller's correlation id. */
export function newEvent<T extends EventType>(
  deps: Pick<Deps, 'clock' | 'ids' | 'serviceId'>,
  eventType: T,
  origin: EventOrigin,
  data: EventData<T>,
): EventOf<T> {
  // TypeScript cannot pair a generic `eventType` with its data; the parameters do.
  return {
    id: deps.ids.newId(),
    eventType,
    version: 1,
    timestamp: deps.clock.now().toISOString(),
    serviceId: deps.serviceId,
    correlationId: origin.correlationId,
    actorId: origin.actorId,
    data,
  } as EventOf<T>;
}

/** What a unit of work records: an event (published to its type's topic) or a command (sent to its topic). */
export type OutboxMessage = { envelope: EventEnvelope } | { command: { topic: string; message: Command } };

const idOf = (m: OutboxMessage): string => ('envelope' in m ? m.envelope.id : m.command.message.id);

/**
 * Records `message` in the unit of work `tx`, with the caller's trace so the consumer's
 * logs join the request's. `inUnitOfWork` calls this, and publishes after the commit.
 */
export function recordOutboxEntry(tx: Transaction, message: OutboxMessage): void {
  const doc: OutboxDoc = {
    ...message,
    createdAt: 'envelope' in message ? message.envelope.timestamp : message.command.message.timestamp,
    traceparent: currentContext()?.traceparent ?? null,
    leaseUntil: null,
  };
  tx.create(OUTBOX, idOf(message), doc);
}

/** Publishes one entry's message to its topic (the entry stays until it is deleted). */
async function sendEntry(
  deps: Pick<Deps, 'publisher'>,
  entry: OutboxMessage & { traceparent: string | null },
): Promise<void> {
  const trace: Record<string, string> = entry.traceparent ? { traceparent: entry.traceparent } : {};
  if ('command' in entry) {
    const { topic, message } = entry.command;
    await deps.publisher.send(topic, message, {
      commandType: message.type,
      commandId: message.id,
      correlationId: message.correlationId,
      ...trace,
    });
    logs.eventPublished(message.type, message.id, topic);
  } else {
    const { envelope } = entry;
    const topic = topicFor(envelope.eventType);
    // Attributes let consumers route and trace without decoding the data.
    await deps.publisher.publish(topic, envelope, {
      eventType: envelope.eventType,
      eventId: envelope.id,
      correlationId: envelope.correlationId,
      ...trace,
    });
    logs.eventPublished(envelope.eventType, envelope.id, topic);
  }
}

async function publishEntry(
  deps: Pick<Deps, 'publisher' | 'store'>,
  entry: OutboxMessage & { traceparent: string | null },
): Promise<void> {
  await sendEntry(deps, entry);
  await deps.store.transact(async (tx) => tx.delete(OUTBOX, idOf(entry)));
}

/**
 * Publishes what a committed unit of work recorded, in order. Never throws: what fails
 * stays in the outbox for the relay.
 */
export async function dispatchOutbox(
  deps: Pick<Deps, 'publisher' | 'store'>,
  messages: readonly OutboxMessage[],
): Promise<void> {
  for (const message of messages) {
    try {
      await publishEntry(deps, { ...message, traceparent: currentContext()?.traceparent ?? null });
    } catch (error) {
      logs.eventPublishDeferred(idOf(message), error);
    }
  }
}

export interface RelayOptions {
  /** Entries younger than this are left to the request that wrote them. */
  minAgeMs: number;
  /** How long a relay holds the entries it is publishing. */
  leaseMs: number;
  /** Entries read, claimed (one unit of work) and deleted (one more) at a time. */
  batchSize: number;
  /** Publishes in flight at once. */
  concurrency: number;
  /** No new entry is started after this long (the function's timeout less a margin). */
  budgetMs: number;
}

export const RELAY_DEFAULTS: RelayOptions = {
  minAgeMs: 10_000,
  leaseMs: 60_000,
  batchSize: 200,
  concurrency: 16,
  budgetMs: 60_000,
};

/**
 * Drains the outbox: entries older than `minAgeMs`, oldest first, a batch at a time — each
 * batch claimed in one unit of work with a lease (two relays never publish the same entry
 * at once), published `concurrency` at a time, and the published ones deleted together —
 * until a batch comes back short, the budget is spent, or a batch publishes nothing
 * (Pub/Sub still down: the next tick tries again). Returns how many were published.
 */
export async function relayOutbox(
  deps: Pick<Deps, 'publisher' | 'store' | 'clock'>,
  overrides: Partial<RelayOptions> = {},
): Promise<{ published: number; failed: number }> {
  const options = { ...RELAY_DEFAULTS, ...overrides };
  const inTime = timeLeft(options.budgetMs);
  let published = 0;
  let failed = 0;
  const cutoff = new Date(deps.clock.now().getTime() - options.minAgeMs).toISOString();
  const due = {
    collection: OUTBOX,
    where: [{ field: 'createdAt', op: '<=' as const, value: cutoff }],
    orderBy: [
      { field: 'createdAt', direction: 'asc' as const },
      { field: DOC_ID, direction: 'asc' as const },
    ],
  };
  await forEachPage<OutboxDoc>(deps.store, due, options.batchSize, inTime, async (page) => {
    const now = deps.clock.now();
    const claimed = await deps.store.transact(async (tx) => {
      const current = await Promise.all(page.map((entry) => tx.get<OutboxDoc>(OUTBOX, entry.id)));
      const leaseUntil = new Date(now.getTime() + options.leaseMs).toISOString();
      return current.flatMap((doc) => {
        if (!doc || (doc.data.leaseUntil && doc.data.leaseUntil > now.toISOString())) return [];
        const leased = { ...doc.data, leaseUntil };
        tx.set(OUTBOX, doc.id, leased);
        return [{ id: doc.id, entry: leased }];
      });
    });
    const sent: string[] = [];
    let batchFailed = 0;
    await forEachBounded(
      claimed,
      options.concurrency,
      async ({ id, entry }) => {
        try {
          await sendEntry(deps, entry);
          sent.push(id);
        } catch (error) {
          batchFailed++;
          logs.eventPublishDeferred(id, error);
        }
      },
      inTime,
    );
    if (sent.length > 0) {
      await deps.store.transact(async (tx) => {
        for (const id of sent) tx.delete(OUTBOX, id);
      });
    }
    published += sent.length;
    failed += batchFailed;
    // Nothing went out: Pub/Sub is still down, and the next tick tries again.
    return !(sent.length === 0 && batchFailed > 0);
  });
  if (published > 0) logs.outboxRelayed(published);
  return { published, failed };
}

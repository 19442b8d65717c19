/**
 * Event consumers applied exactly once: `consumeMessage` validates the envelope, drops
 * events older than the cut-off, and applies each envelope once: the consumer's writes and
 * a `processedEvents` record share one unit of work, so a redelivery finds the record and
 * is acknowledged without effect. Invalid messages and non-retryable errors are
 * acknowledged and kept in `deadLetters` with the reason; retryable errors are thrown.
 */
import type { z } from 'zod';
import { type EventEnvelope, EventEnvelopeSchema } from '../domain/event.schema.ts';
import { AppError, isAppError } from '../errors/app-error.ts';
import { currentContext } from '../logging/context.ts';
import { logs } from '../logging/logs.ts';
import type { Deps } from '../ports/deps.ts';
import type { Transaction } from '../ports/document-store.ts';
import type { PubSubMessage } from '../ports/message.ts';
import { type Emit, inUnitOfWork } from './unit-of-work.ts';

/** Where applied envelopes are recorded, one document `<consumer>:<envelopeId>` each. */
export const PROCESSED_EVENTS = 'processedEvents';
/** Where poison messages are kept, one document `<consumer>:<messageId>` each. */
export const DEAD_LETTERS = 'deadLetters';
/** How much of a dead letter's raw data is kept. */
const DEAD_LETTER_DATA_CHARS = 8 * 1024;
const DEAD_LETTER_ATTRIBUTE_CHARS = 1024;
/** A processed record outlives the age cut-off by this much (later redeliveries are dropped by age). */
const PROCESSED_MARGIN_MS = 24 * 3_600_000;

/** An event consumer: its effect on one envelope, written in the unit of work `tx`. */
export interface Consumer {
  /**
   * Applies `envelope`. Runs inside a unit of work that may re-run on contention, so it must
   * have no side effect but its writes to `tx` and what it emits (published after the
   * commit). A thrown retryable error makes the platform redeliver; a non-retryable
   * AppError dead-letters the message.
   */
  apply(envelope: EventEnvelope, tx: Transaction, deps: Deps, emit: Emit): Promise<void>;
}

export interface ConsumeOptions {
  /** Events whose envelope timestamp is older than this are dropped. */
  maxAgeSeconds: number;
}

export type ConsumeOutcome = 'applied' | 'duplicate' | 'dead-lettered' | 'expired';

/** A processed-event record (doc id `<consumer>:<envelopeId>`); `expiresAt` drives a TTL policy. */
export interface ProcessedEventDoc {
  [key: string]: unknown;
  consumer: string;
  eventId: string;
  eventType: string;
  processedAt: string;
  expiresAt: Date;
}

/** A dead letter: the message as received, bounded, and why it was not applied. */
export interface DeadLetterDoc {
  [key: string]: unknown;
  consumer: string;
  messageId: string;
  reason: string;
  code: string | null;
  data: string;
  dataTruncated: boolean;
  attributes: Record<string, string>;
  publishTime: string | null;
  deadLetteredAt: string;
}

/** A Firestore-safe document id part. */
function idPart(value: string): string {
  return value.replace(/[^A-Za-z0-9_:-]/g, '_').slice(0, 600) || '_';
}

export function processedEventId(consumer: string, envelopeId: string): string {
  return `${consumer}:${idPart(envelopeId)}`;
}

async function deadLetter(
  consumer: string,
  message: PubSubMessage,
  reason: string,
  code: string | null,
  deps: Pick<Deps, 'store' | 'clock'>,
): Promise<void> {
  const text = message.data.toString('utf8');
  const doc: DeadLetterDoc = {
    consumer,
    messageId: message.id,
    reason: reason.slice(0, 2_000),
    code,
    data: text.slice(0, DEAD_LETTER_DATA_CHARS),
    dataTruncated: text.length > DEAD_LETTER_DATA_CHARS,
    attributes: Object.fromEntries(
      Object.entries(message.attributes)
        .slice(0, 50)
        .map(([k, v]) => [k.slice(0, 256), String(v).slice(0, DEAD_LETTER_ATTRIBUTE_CHARS)]),
    ),
    publishTime: message.publishTime ?? null,
    deadLetteredAt: deps.clock.now().toISOString(),
  };
  // Deterministic id: a poison message redelivered before its ack is kept once.
  await deps.store.transact(async (tx) => tx.set(DEAD_LETTERS, `${consumer}:${idPart(message.id)}`, doc));
  logs.eventDeadLettered(consumer, message.id, doc.reason, code);
}

/** Dead-letters `message` for a non-retryable AppError; rethrows what a retry may fix. */
async function deadLetterUnlessRetryable(
  consumer: string,
  message: PubSubMessage,
  error: unknown,
  deps: Pick<Deps, 'store' | 'clock'>,
): Promise<'dead-lettered'> {
  if (!isAppError(error) || error.retryable) throw error;
  await deadLetter(consumer, message, error.message, error.code, deps);
  return 'dead-lettered';
}

/** Parses `message`'s JSON data with `schema`; a reason a person can read when it fails. */
export function parseMessage<T>(
  message: PubSubMessage,
  schema: z.ZodType<T>,
  what: string,
): { value: T } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(message.data.toString('utf8'));
  } catch {
    return { reason: 'the data is not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`);
    return { reason: `not ${what}: ${issues.slice(0, 10).join('; ')}` };
  }
  return { value: parsed.data };
}

/** `parseMessage`, or a non-retryable error (the message is dropped, never retried). */
export function requireMessage<T>(message: PubSubMessage, schema: z.ZodType<T>, what: string): T {
  const parsed = parseMessage(message, schema, what);
  if ('reason' in parsed) throw new AppError('REQUEST.VALIDATION', `Dropped: ${parsed.reason}.`);
  return parsed.value;
}

/**
 * Runs one command message (work another function queued) through `handle`, with the poison
 * rule of events: a message that is not `what` (per `schema`) and a non-retryable AppError of
 * the handler are acknowledged and dead-lettered with the reason; retryable errors are
 * thrown so the platform retries. Commands carry their own redelivery checks.
 */
export async function consumeCommand<T>(
  name: string,
  message: PubSubMessage,
  command: { schema: z.ZodType<T>; what: string },
  handle: (value: T) => Promise<unknown>,
  deps: Pick<Deps, 'store' | 'clock'>,
): Promise<'applied' | 'dead-lettered'> {
  const parsed = parseMessage(message, command.schema, command.what);
  if ('reason' in parsed) {
    await deadLetter(name, message, parsed.reason, 'REQUEST.VALIDATION', deps);
    return 'dead-lettered';
  }
  try {
    await handle(parsed.value);
    return 'applied';
  } catch (error) {
    return deadLetterUnlessRetryable(name, message, error, deps);
  }
}

/** Parses and validates the envelope of `message`; a reason when it is not one. */
export function parseEnvelope(message: PubSubMessage): { envelope: EventEnvelope } | { reason: string } {
  const parsed = parseMessage(message, EventEnvelopeSchema, 'an event envelope');
  return 'reason' in parsed ? parsed : { envelope: parsed.value };
}

/**
 * Consumes one message with `consumer`: the decision table of the event flow. Returns what
 * happened; throws only what the platform should retry.
 */
export async function consumeMessage(
  name: string,
  consumer: Consumer,
  message: PubSubMessage,
  deps: Deps,
  options: ConsumeOptions,
): Promise<ConsumeOutcome> {
  const parsed = parseEnvelope(message);
  if ('reason' in parsed) {
    await deadLetter(name, message, parsed.reason, 'REQUEST.VALIDATION', deps);
    return 'dead-lettered';
  }
  const { envelope } = parsed;
  // The envelope is authoritative for the log context (attributes may be missing).
  const context = currentContext();
  if (context) {
    context.correlationId = envelope.correlationId;
    if (envelope.actorId) context.actorId = envelope.actorId;
  }
  const now = deps.clock.now();
  const occurred = Date.parse(envelope.timestamp);
  if (now.getTime() - occurred > options.maxAgeSeconds * 1000) {
    logs.eventExpired(name, envelope.id, envelope.eventType, envelope.timestamp);
    return 'expired';
  }
  try {
    const applied = await inUnitOfWork(deps, async (tx, emit) => {
      const id = processedEventId(name, envelope.id);
      if (await tx.get(PROCESSED_EVENTS, id)) return false;
      await consumer.apply(envelope, tx, deps, emit);
      const record: ProcessedEventDoc = {
        consumer: name,
        eventId: envelope.id,
        eventType: envelope.eventType,
        processedAt: now.toISOString(),
        expiresAt: new Date(occurred + options.maxAgeSeconds * 1000 + PROCESSED_MARGIN_MS),
      };
      tx.create(PROCESSED_EVENTS, id, record);
      return true;
    });
    if (!applied) {
      logs.eventDuplicate(name, envelope.id);
      return 'duplicate';
    }
    logs.eventApplied(name, envelope.id, envelope.eventType);
    return 'applied';
  } catch (error) {
    return deadLetterUnlessRetryable(name, message, error, deps);
  }
}

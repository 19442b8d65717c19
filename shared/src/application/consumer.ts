/**
 * Event consumers applied exactly once: `consumeMessage` validates the envelope, drops
 * events older than the cut-off, and applies each envelope once: the consumer's writes and
 * a `processedEvents` record share one unit of work, so a redelivery finds the record and
 * is acknowledged without effect. Invalid messages and non-retryable errors are
 * acknowledged and kept in `deadLetters` with the reason; retryable errors are thrown.
 * `consumeCommand` applies the same rule to command messages (the workers behind
 * `emit.command`).
 */
import type { z } from 'zod';
import { type Command, CommandSchema } from '../domain/command.schema.ts';
import { type EventEnvelope, EventEnvelopeSchema } from '../domain/event.schema.ts';
import { isAppError } from '../errors/app-error.ts';
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

export interface DeadLetterOptions {
  /** How long a dead letter is kept (its `expiresAt`, for a Firestore TTL policy). */
  deadLetterRetentionDays: number;
}

export interface ConsumeOptions extends DeadLetterOptions {
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
  expiresAt: Date;
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
  options: DeadLetterOptions,
): Promise<void> {
  const text = message.data.toString('utf8');
  const now = deps.clock.now();
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
    deadLetteredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + options.deadLetterRetentionDays * 86_400_000),
  };
  // Deterministic id: a poison message redelivered before its ack is kept once.
  await deps.store.transact(async (tx) => tx.set(DEAD_LETTERS, `${consumer}:${idPart(message.id)}`, doc));
  logs.eventDeadLettered(consumer, message.id, doc.reason, code);
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

/**
 * Runs `work`; a non-retryable AppError it throws dead-letters `message` with the error's
 * message and code (acknowledged, never retried). Anything else is thrown for the platform.
 */
async function deadLetterFinalErrors<T>(
  name: string,
  message: PubSubMessage,
  deps: Pick<Deps, 'store' | 'clock'>,
  options: DeadLetterOptions,
  work: () => Promise<T>,
): Promise<T | 'dead-lettered'> {
  try {
    return await work();
  } catch (error) {
    if (isAppError(error) && !error.retryable) {
      await deadLetter(name, message, error.message, error.code, deps, options);
      return 'dead-lettered';
    }
    throw error;
  }
}

export type CommandOutcome = 'applied' | 'dead-lettered';

/** What a message must be: its schema and, for reasons, its name ("a command"). */
export interface MessageShape<T> {
  schema: z.ZodType<T>;
  what: string;
}

export const COMMAND_MESSAGE: MessageShape<Command> = { schema: CommandSchema, what: 'a command' };
export const EVENT_MESSAGE: MessageShape<EventEnvelope> = {
  schema: EventEnvelopeSchema,
  what: 'an event envelope',
};

/**
 * Handles one message that is not applied as a consumer's unit of work (the workers behind
 * `emit.command`, and event handlers whose effect is too large for one, like purging a
 * task's comments) with the consumers' poison rule: a message that is not `shape`, or one
 * `handle` refuses for good (a non-retryable AppError), is acknowledged and kept in
 * `deadLetters` with its reason; retryable errors are thrown so the platform retries.
 */
export async function consumeParsed<T>(
  name: string,
  message: PubSubMessage,
  shape: MessageShape<T>,
  handle: (value: T) => Promise<unknown>,
  deps: Pick<Deps, 'store' | 'clock'>,
  options: DeadLetterOptions,
): Promise<CommandOutcome> {
  const parsed = parseMessage(message, shape.schema, shape.what);
  if ('reason' in parsed) {
    await deadLetter(name, message, parsed.reason, 'REQUEST.VALIDATION', deps, options);
    return 'dead-lettered';
  }
  return deadLetterFinalErrors(name, message, deps, options, async () => {
    await handle(parsed.value);
    return 'applied' as const;
  });
}

/** `consumeParsed` for a command message. */
export const consumeCommand = (
  name: string,
  message: PubSubMessage,
  handle: (command: Command) => Promise<unknown>,
  deps: Pick<Deps, 'store' | 'clock'>,
  options: DeadLetterOptions,
): Promise<CommandOutcome> => consumeParsed(name, message, COMMAND_MESSAGE, handle, deps, options);

/** Parses and validates the envelope of `message`; a reason when it is not one. */
export function parseEnvelope(message: PubSubMessage): { envelope: EventEnvelope } | { reason: string } {
  const parsed = parseMessage(message, EVENT_MESSAGE.schema, EVENT_MESSAGE.what);
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
    await deadLetter(name, message, parsed.reason, 'REQUEST.VALIDATION', deps, options);
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
  return deadLetterFinalErrors(name, message, deps, options, async () => {
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
      return 'duplicate' as const;
    }
    logs.eventApplied(name, envelope.id, envelope.eventType);
    return 'applied' as const;
  });
}

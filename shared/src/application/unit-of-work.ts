/**
 * One unit of work that emits. `work` writes through `tx` and emits events and commands
 * through `emit`; each emitted message is an outbox entry in the same transaction, so the
 * change and its messages commit together or not at all. After the commit they are
 * published, and what fails to publish stays in the outbox for the relay.
 *
 * The store may run `work` more than once (contention): only what the committed attempt
 * emitted is published, so `work` must have no effect but its writes and emits.
 */
import type { Command } from '../domain/command.schema.ts';
import type { EventEnvelope } from '../domain/event.schema.ts';
import type { Deps } from '../ports/deps.ts';
import type { Transaction } from '../ports/document-store.ts';
import { dispatchOutbox, type OutboxMessage, recordOutboxEntry } from './outbox.ts';

/** How a unit of work emits: `emit(envelope)` for an event, `emit.command(topic, command)` for a command. */
export interface Emit {
  (envelope: EventEnvelope): void;
  command(topic: string, command: Command): void;
}

/** Runs `work` as one transaction whose emitted events and commands are published after the commit. */
export async function inUnitOfWork<T>(
  deps: Pick<Deps, 'store' | 'publisher'>,
  work: (tx: Transaction, emit: Emit) => Promise<T>,
): Promise<T> {
  let committed: OutboxMessage[] = [];
  const result = await deps.store.transact((tx) => {
    const emitted: OutboxMessage[] = [];
    committed = emitted;
    const record = (message: OutboxMessage) => {
      recordOutboxEntry(tx, message);
      emitted.push(message);
    };
    const emit: Emit = Object.assign((envelope: EventEnvelope) => record({ envelope }), {
      command: (topic: string, message: Command) => record({ command: { topic, message } }),
    });
    return work(tx, emit);
  });
  await dispatchOutbox(deps, committed);
  return result;
}

/** EventPublisher that keeps what it was given, for unit tests. */
import type { Command } from '../../domain/command.schema.ts';
import type { EventEnvelope, Topic } from '../../domain/event.schema.ts';
import { AppError } from '../../errors/app-error.ts';
import type { EventPublisher } from '../../ports/event-publisher.ts';

export class MemoryEventPublisher implements EventPublisher {
  readonly published: { topic: Topic; envelope: EventEnvelope; attributes: Record<string, string> }[] = [];
  /** Set to make publishing fail as if Pub/Sub were down. */
  down = false;
  private readonly listeners = new Set<
    (topic: Topic, envelope: EventEnvelope, attributes: Record<string, string>) => void
  >();

  /** Calls `listener` after each publish (a subscription's part); returns the unsubscribe. */
  onPublish(
    listener: (topic: Topic, envelope: EventEnvelope, attributes: Record<string, string>) => void,
  ): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async publish(
    topic: Topic,
    envelope: EventEnvelope,
    attributes: Record<string, string> = {},
  ): Promise<void> {
    if (this.down) throw new AppError('DEPENDENCY.UNAVAILABLE', 'Pub/Sub is unavailable.');
    this.published.push({ topic, envelope: structuredClone(envelope), attributes });
    for (const listener of this.listeners) listener(topic, structuredClone(envelope), { ...attributes });
  }

  readonly sent: { topic: string; command: Command; attributes: Record<string, string> }[] = [];

  async send(topic: string, command: Command, attributes: Record<string, string> = {}): Promise<void> {
    if (this.down) throw new AppError('DEPENDENCY.UNAVAILABLE', 'Pub/Sub is unavailable.');
    this.sent.push({ topic, command: structuredClone(command), attributes });
  }

  async ping(): Promise<void> {
    if (this.down) throw new AppError('DEPENDENCY.UNAVAILABLE', 'Pub/Sub is unavailable.');
  }

  types(): string[] {
    return this.published.map((p) => p.envelope.eventType);
  }
}

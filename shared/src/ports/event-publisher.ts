/** Publishes event envelopes to a topic. */
import type { Command } from '../domain/command.schema.ts';
import type { EventEnvelope, Topic } from '../domain/event.schema.ts';

export interface EventPublisher {
  /** Resolves once the broker has accepted the message; rejects otherwise. */
  publish(topic: Topic, envelope: EventEnvelope, attributes?: Record<string, string>): Promise<void>;
  /** Sends a command to a command topic; same acceptance rule as `publish`. */
  send(topic: string, command: Command, attributes?: Record<string, string>): Promise<void>;
  ping(): Promise<void>;
}

/** Publishes event envelopes to a topic. */
import type { EventEnvelope, Topic } from '../domain/event.schema.ts';

export interface EventPublisher {
  /** Resolves once the broker has accepted the message; rejects otherwise. */
  publish(topic: Topic, envelope: EventEnvelope, attributes?: Record<string, string>): Promise<void>;
  ping(): Promise<void>;
}

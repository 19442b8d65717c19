/**
 * EventPublisher on Cloud Pub/Sub (or its emulator, named by PUBSUB_EMULATOR_HOST).
 * The SDK is imported on first use; the client is reused by every publish.
 */
import type * as PubSubSdk from '@google-cloud/pubsub';
import type { Command } from '../../domain/command.schema.ts';
import type { EventEnvelope, Topic } from '../../domain/event.schema.ts';
import { AppError } from '../../errors/app-error.ts';
import type { EventPublisher } from '../../ports/event-publisher.ts';

export interface PubSubPublisherOptions {
  projectId: string;
  timeoutMs: number;
}

export class PubSubEventPublisher implements EventPublisher {
  private client: Promise<PubSubSdk.PubSub> | undefined;
  private readonly topics = new Map<string, PubSubSdk.Topic>();

  constructor(private readonly options: PubSubPublisherOptions) {}

  private connect(): Promise<PubSubSdk.PubSub> {
    this.client ??= import('@google-cloud/pubsub').then(
      (sdk) => new sdk.PubSub({ projectId: this.options.projectId }),
    );
    return this.client;
  }

  private async topic(name: string): Promise<PubSubSdk.Topic> {
    const pubsub = await this.connect();
    let topic = this.topics.get(name);
    if (!topic) {
      // Publish at once: events are few per request and latency matters more than batching.
      topic = pubsub.topic(name, { batching: { maxMessages: 1, maxMilliseconds: 0 } });
      this.topics.set(name, topic);
    }
    return topic;
  }

  private async bounded<T>(what: string, run: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        run,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new AppError('DEPENDENCY.UNAVAILABLE', 'Pub/Sub did not answer in time.', {
                  details: { what },
                }),
              ),
            this.options.timeoutMs,
          );
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async publish(
    topicName: Topic,
    envelope: EventEnvelope,
    attributes: Record<string, string> = {},
  ): Promise<void> {
    const topic = await this.topic(topicName);
    await this.bounded(
      'publish',
      topic.publishMessage({
        data: Buffer.from(JSON.stringify(envelope)),
        attributes,
      }),
    );
  }

  async send(topicName: string, command: Command, attributes: Record<string, string> = {}): Promise<void> {
    const topic = await this.topic(topicName);
    await this.bounded(
      'send',
      topic.publishMessage({ data: Buffer.from(JSON.stringify(command)), attributes }),
    );
  }

  async ping(): Promise<void> {
    const pubsub = await this.connect();
    await this.bounded('ping', pubsub.getTopics({ pageSize: 1, autoPaginate: false }));
  }
}

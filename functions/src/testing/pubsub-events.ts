/**
 * Pub/Sub messages as Eventarc delivers them to a `cloudEvent` function: a binary-mode
 * `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent whose JSON body is the
 * `{ message, subscription }` of a push. The in-process harness delivers one for every
 * event the memory publisher gets, to each function the manifest subscribes to its topic.
 */
import { randomUUID } from 'node:crypto';

/** The HTTP request of one delivery of a message on `topic`; a redelivery keeps `messageId`. */
export function messagePublishedEvent(
  projectId: string,
  topic: string,
  data: unknown,
  attributes: Record<string, string>,
  messageId: string = randomUUID(),
): { headers: Record<string, string>; body: string } {
  const publishTime = new Date().toISOString();
  return {
    headers: {
      'Content-Type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': messageId,
      'ce-source': `//pubsub.googleapis.com/projects/${projectId}/topics/${topic}`,
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-time': publishTime,
    },
    body: JSON.stringify({
      message: {
        data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64'),
        attributes,
        messageId,
        publishTime,
      },
      subscription: `projects/${projectId}/subscriptions/${topic}-in-process`,
    }),
  };
}

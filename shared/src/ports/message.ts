/** A Pub/Sub message as a subscriber receives it, decoded from its push or CloudEvent form. */
export interface PubSubMessage {
  id: string;
  data: Buffer;
  attributes: Record<string, string>;
  publishTime: string | undefined;
}

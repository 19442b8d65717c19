/**
 * The dependencies use cases take, as types: the ports every use case may use, and the
 * media set (object storage, image processing, the media settings) the media use cases add.
 * `wiring/` builds them from production adapters; `testing/` builds them in memory.
 */
import type { MediaConfig } from '../config/media-config.ts';
import type { BlobStore } from './blob-store.ts';
import type { Clock, IdSource } from './clock.ts';
import type { DocumentStore } from './document-store.ts';
import type { EventPublisher } from './event-publisher.ts';
import type { IdentityProvider } from './identity.ts';
import type { ImageProcessor } from './image-processor.ts';

export interface Deps {
  store: DocumentStore;
  publisher: EventPublisher;
  identity: IdentityProvider;
  clock: Clock;
  ids: IdSource;
  /** Names this service in event envelopes. */
  serviceId: string;
  idempotencyTtlHours: number;
}

export interface MediaDeps extends Deps {
  blobs: BlobStore;
  images: ImageProcessor;
  media: MediaConfig;
}

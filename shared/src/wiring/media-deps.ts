/**
 * The media functions' production dependencies: the common ones plus Cloud Storage, sharp
 * and the media configuration. Adapters are built on first use; the signing
 * key file (local stack only) is read then, not at import.
 */
import { readFileSync } from 'node:fs';
import { GcsBlobStore } from '../adapters/gcs/gcs-blob-store.ts';
import { SharpImageProcessor } from '../adapters/sharp/sharp-image-processor.ts';
import { config } from '../config/config.ts';
import { mediaConfig } from '../config/media-config.ts';
import type { Deps, MediaDeps } from '../ports/deps.ts';
import { appDeps } from './app-deps.ts';

let current: MediaDeps | undefined;

function isMediaDeps(deps: Deps): deps is MediaDeps {
  return 'blobs' in deps && 'images' in deps && 'media' in deps;
}

export function appMediaDeps(): MediaDeps {
  const base = appDeps();
  if (isMediaDeps(base)) return base; // a test installed a complete set
  if (!current) {
    const c = config();
    const key = c.storageSigningKeyFile
      ? (JSON.parse(readFileSync(c.storageSigningKeyFile, 'utf8')) as {
          client_email: string;
          private_key: string;
        })
      : undefined;
    current = {
      ...base,
      blobs: new GcsBlobStore({
        projectId: c.projectId,
        ...(c.storageEmulatorHost ? { apiEndpoint: c.storageEmulatorHost } : {}),
        ...(key ? { credentials: { client_email: key.client_email, private_key: key.private_key } } : {}),
        timeoutMs: c.outboundTimeoutMs,
      }),
      images: new SharpImageProcessor(),
      media: mediaConfig(),
    };
  }
  return current;
}

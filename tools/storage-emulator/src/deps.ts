/** What the API handlers share, wired once by the server. */
import type { Log } from './log.ts';
import type { SignatureVerifier } from './signing.ts';
import type { Store } from './store.ts';
import type { UploadSessions } from './upload-sessions.ts';

export interface Deps {
  store: Store;
  sessions: UploadSessions;
  verifier: SignatureVerifier;
  projectId: string;
  projectNumber: string;
  log: Log;
}

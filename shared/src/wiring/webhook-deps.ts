/**
 * The webhook functions' production dependencies: the common ones plus the webhook
 * settings, the system resolver and the keyring that seals webhook secrets — Secret
 * Manager in the cloud, the stack's key file locally (`WEBHOOK_KEYS_FILE`). Built on first
 * use; the keyring caches what it read for the instance's life.
 */
import { FileKeyring } from '../adapters/secret-manager/file-keyring.ts';
import { SecretManagerKeyring } from '../adapters/secret-manager/secret-manager-keyring.ts';
import { config } from '../config/config.ts';
import type { Deps } from '../ports/deps.ts';
import type { Keyring } from '../ports/keyring.ts';
import { webhookConfig } from '../webhooks/webhook-config.ts';
import type { WebhookDeps } from '../webhooks/webhook-store.ts';
import { systemResolver } from '../webhooks/webhook-url.ts';
import { appDeps } from './app-deps.ts';

let keyring: Keyring | undefined;

/** The production webhook keyring of this process (also what `npm run rotate-keys` uses). */
export function webhookKeyring(): Keyring {
  if (!keyring) {
    const settings = webhookConfig();
    const c = config();
    keyring = settings.keysFile
      ? new FileKeyring(settings.keysFile)
      : new SecretManagerKeyring({
          projectId: c.projectId,
          secret: settings.keysSecret,
          timeoutMs: c.outboundTimeoutMs,
        });
  }
  return keyring;
}

/** What registering and delivering webhooks need. */
export function appWebhookDeps(): Deps & WebhookDeps {
  const base = appDeps();
  // A test that installed its dependencies installed its keyring with them.
  const keys = 'keyring' in base ? (base.keyring as Keyring) : webhookKeyring();
  return { ...base, webhooks: webhookConfig(), resolve: systemResolver, keyring: keys };
}

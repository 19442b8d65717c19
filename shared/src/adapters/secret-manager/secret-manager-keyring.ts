/**
 * A Keyring on Secret Manager: each version of one secret is a key version, its `kid` the
 * version number. `current()` reads `latest` (and learns its number from the answer's
 * name), re-read every few minutes so a new version is picked up without a redeploy;
 * `byKid` reads that version by number. Only `secretmanager.versions.access` is needed
 * (`roles/secretmanager.secretAccessor` on the secret): versions are never listed. Versions
 * are immutable, so each is cached for the instance's life. The SDK is imported on first use.
 */
import type * as SecretManagerSdk from '@google-cloud/secret-manager';
import { AppError } from '../../errors/app-error.ts';
import type { Keyring, KeyVersion } from '../../ports/keyring.ts';
import { keyMaterial } from './key-material.ts';

type Client = Pick<SecretManagerSdk.v1.SecretManagerServiceClient, 'accessSecretVersion'>;

export interface SecretManagerKeyringOptions {
  projectId: string;
  /** The secret's id, e.g. `webhook-keys`. */
  secret: string;
  timeoutMs: number;
  /** How long `latest` is trusted before it is read again. */
  refreshMs?: number;
  /** A client to use instead of the SDK's (tests). */
  client?: Client;
}

/** gRPC codes that mean the version is not there to read (no retry helps). */
const GONE = new Set([5 /* NOT_FOUND */, 9 /* FAILED_PRECONDITION: disabled or destroyed */]);

export class SecretManagerKeyring implements Keyring {
  private client: Promise<Client> | undefined;
  private readonly versions = new Map<string, Promise<KeyVersion>>();
  private latest: { readAt: number; version: Promise<KeyVersion> } | undefined;

  constructor(private readonly options: SecretManagerKeyringOptions) {}

  private connect(): Promise<Client> {
    this.client ??= this.options.client
      ? Promise.resolve(this.options.client)
      : import('@google-cloud/secret-manager').then((sdk) => new sdk.v1.SecretManagerServiceClient());
    return this.client;
  }

  async current(): Promise<KeyVersion> {
    const now = Date.now();
    if (!this.latest || now - this.latest.readAt > (this.options.refreshMs ?? 300_000)) {
      const version = this.access('latest');
      this.latest = { readAt: now, version };
      version.catch(() => {
        if (this.latest?.version === version) this.latest = undefined;
      });
    }
    return this.latest.version;
  }

  async byKid(kid: string): Promise<KeyVersion> {
    if (!/^[1-9]\d{0,9}$/.test(kid)) throw new AppError('SECRET.UNREADABLE', 'Not a key version number.');
    let version = this.versions.get(kid);
    if (!version) {
      version = this.access(kid);
      this.versions.set(kid, version);
      version.catch(() => this.versions.delete(kid));
    }
    return version;
  }

  private async access(version: string): Promise<KeyVersion> {
    const client = await this.connect();
    const name = `projects/${this.options.projectId}/secrets/${this.options.secret}/versions/${version}`;
    let response: SecretManagerSdk.protos.google.cloud.secretmanager.v1.IAccessSecretVersionResponse;
    try {
      [response] = await client.accessSecretVersion({ name }, { timeout: this.options.timeoutMs });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'number' && GONE.has(code)) {
        throw new AppError(
          'SECRET.UNREADABLE',
          `Key version ${version} of ${this.options.secret} is not available.`,
        );
      }
      throw new AppError('DEPENDENCY.UNAVAILABLE', 'Secret Manager did not answer.', {
        details: { secret: this.options.secret, version },
        cause: error,
      });
    }
    const kid = response.name?.split('/').at(-1) ?? '';
    if (!/^\d+$/.test(kid)) throw new AppError('SECRET.UNREADABLE', 'Secret Manager named no version.');
    const key = { kid, key: keyMaterial(response.payload?.data, `Version ${kid} of ${this.options.secret}`) };
    if (version === 'latest') this.versions.set(kid, Promise.resolve(key));
    return key;
  }
}

/** A keyring in memory, for tests: versions 1, 2, … of random keys; `rotate()` adds one. */
import { randomBytes } from 'node:crypto';
import { AppError } from '../../errors/app-error.ts';
import type { Keyring, KeyVersion } from '../../ports/keyring.ts';

export class MemoryKeyring implements Keyring {
  private readonly versions: KeyVersion[] = [];

  constructor() {
    this.rotate();
  }

  /** Adds a new version (the new current one) and returns it. */
  rotate(): KeyVersion {
    const version = { kid: String(this.versions.length + 1), key: new Uint8Array(randomBytes(32)) };
    this.versions.push(version);
    return version;
  }

  /** Forgets version `kid` (a destroyed secret version). */
  destroy(kid: string): void {
    const i = this.versions.findIndex((v) => v.kid === kid);
    if (i >= 0) this.versions.splice(i, 1);
  }

  async current(): Promise<KeyVersion> {
    const newest = this.versions.at(-1);
    if (!newest) throw new AppError('SECRET.UNREADABLE', 'The keyring has no key.');
    return newest;
  }

  async byKid(kid: string): Promise<KeyVersion> {
    const found = this.versions.find((v) => v.kid === kid);
    if (!found) throw new AppError('SECRET.UNREADABLE', `No key version ${kid}.`);
    return found;
  }
}

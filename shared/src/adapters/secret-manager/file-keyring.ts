/**
 * The local stack's stand-in for a Secret Manager keyring: a JSON file (mode 600) holding
 * the versions of the key, `{"versions":[{"kid":"1","key":"<base64url>"}, …]}`, the highest
 * `kid` the current one. The dev stack creates it beside its other keys (`.dev-stack/`);
 * `addFileKeyVersion` adds a version, as `gcloud secrets versions add` does in the cloud.
 * The file is read again whenever it changed, so a version added while the stack runs is
 * seen by every function.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../errors/app-error.ts';
import type { Keyring, KeyVersion } from '../../ports/keyring.ts';
import { KEY_BYTES, keyMaterial } from './key-material.ts';

interface KeyFile {
  versions: { kid: string; key: string }[];
}

function readKeyFile(file: string): KeyFile {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<KeyFile>;
    return { versions: Array.isArray(parsed.versions) ? parsed.versions : [] };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { versions: [] };
    throw new AppError('SECRET.UNREADABLE', `The key file ${file} is not valid JSON.`);
  }
}

function writeKeyFile(file: string, keys: KeyFile): void {
  mkdirSync(dirname(file), { recursive: true });
  const next = `${file}.${process.pid}.tmp`;
  writeFileSync(next, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  renameSync(next, file);
}

/** Adds a new key version to `file` (created if absent); returns its kid. */
export async function addFileKeyVersion(file: string): Promise<string> {
  const keys = readKeyFile(file);
  const kid = String(Math.max(0, ...keys.versions.map((v) => Number(v.kid) || 0)) + 1);
  keys.versions.push({ kid, key: randomBytes(KEY_BYTES).toString('base64url') });
  writeKeyFile(file, keys);
  return kid;
}

/** Makes sure `file` holds at least one key version. */
export async function ensureKeyFile(file: string): Promise<void> {
  if (!existsSync(file) || readKeyFile(file).versions.length === 0) await addFileKeyVersion(file);
}

export class FileKeyring implements Keyring {
  private cache: { mtimeMs: number; size: number; versions: KeyVersion[] } | undefined;

  constructor(private readonly file: string) {}

  private versions(): KeyVersion[] {
    let stat: { mtimeMs: number; size: number };
    try {
      stat = statSync(this.file);
    } catch {
      throw new AppError('SECRET.UNREADABLE', `No key file at ${this.file}.`);
    }
    if (!this.cache || this.cache.mtimeMs !== stat.mtimeMs || this.cache.size !== stat.size) {
      const versions = readKeyFile(this.file)
        .versions.map((v) => ({
          kid: String(v.kid),
          key: keyMaterial(v.key, `Key ${v.kid} of ${this.file}`),
        }))
        .sort((a, b) => Number(a.kid) - Number(b.kid));
      this.cache = { mtimeMs: stat.mtimeMs, size: stat.size, versions };
    }
    return this.cache.versions;
  }

  async current(): Promise<KeyVersion> {
    const newest = this.versions().at(-1);
    if (!newest) throw new AppError('SECRET.UNREADABLE', `The key file ${this.file} has no key.`);
    return newest;
  }

  async byKid(kid: string): Promise<KeyVersion> {
    const found = this.versions().find((v) => v.kid === kid);
    if (!found) throw new AppError('SECRET.UNREADABLE', `No key version ${kid} in ${this.file}.`);
    return found;
  }
}

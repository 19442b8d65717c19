/**
 * The keyring adapters: Secret Manager (through a stand-in client: `latest` gives the
 * current version and its number, a version is read by number, each read once, a missing
 * version is unreadable, an outage retryable) and the local key file (versions added while
 * running are seen; the highest kid is current).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addFileKeyVersion, ensureKeyFile, FileKeyring } from './file-keyring.ts';
import { keyMaterial } from './key-material.ts';
import { SecretManagerKeyring } from './secret-manager-keyring.ts';

describe('key material', () => {
  it('takes 32 raw bytes, or their base64 or base64url text; refuses anything else', () => {
    const raw = randomBytes(32);
    for (const payload of [raw, `${raw.toString('base64')}\n`, raw.toString('base64url')])
      expect(Buffer.from(keyMaterial(payload, 'k'))).toEqual(raw);
    for (const bad of [randomBytes(16), 'short', '', null])
      expect(() => keyMaterial(bad, 'k')).toThrow(/32-byte key/);
  });
});

describe('SecretManagerKeyring', () => {
  const keys: Record<string, Buffer> = { '1': randomBytes(32), '2': randomBytes(32) };
  const calls: string[] = [];
  let down = false;
  const client = {
    accessSecretVersion: async ({ name }: { name?: string | null }) => {
      calls.push(String(name));
      if (down) throw Object.assign(new Error('unavailable'), { code: 14 });
      const asked = String(name).split('/').at(-1)!;
      const version = asked === 'latest' ? '2' : asked;
      if (!keys[version]) throw Object.assign(new Error('not found'), { code: 5 });
      return [
        {
          name: `projects/123/secrets/webhook-keys/versions/${version}`,
          payload: { data: Buffer.from(keys[version]!.toString('base64')) },
        },
      ];
    },
  } as never;

  it('reads latest for the current version and versions by number, each once', async () => {
    const keyring = new SecretManagerKeyring({
      projectId: 'p',
      secret: 'webhook-keys',
      timeoutMs: 1000,
      client,
    });
    const current = await keyring.current();
    expect(current.kid).toBe('2');
    expect(Buffer.from(current.key)).toEqual(keys['2']);
    expect(Buffer.from((await keyring.byKid('1')).key)).toEqual(keys['1']);
    await keyring.current();
    await keyring.byKid('1');
    await keyring.byKid('2');
    expect(calls).toEqual([
      'projects/p/secrets/webhook-keys/versions/latest',
      'projects/p/secrets/webhook-keys/versions/1',
    ]);
    await expect(keyring.byKid('7')).rejects.toMatchObject({ code: 'SECRET.UNREADABLE' });
    await expect(keyring.byKid('../latest')).rejects.toMatchObject({ code: 'SECRET.UNREADABLE' });
  });

  it('reports an outage as retryable, and reads again once it is over', async () => {
    const keyring = new SecretManagerKeyring({
      projectId: 'p',
      secret: 'webhook-keys',
      timeoutMs: 1000,
      client,
    });
    down = true;
    await expect(keyring.current()).rejects.toMatchObject({
      code: 'DEPENDENCY.UNAVAILABLE',
      retryable: true,
    });
    down = false;
    expect((await keyring.current()).kid).toBe('2');
  });
});

describe('FileKeyring', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keyring-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is created with one version (mode 600); versions added later become current', async () => {
    const file = join(dir, 'keys.json');
    await ensureKeyFile(file);
    await ensureKeyFile(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const keyring = new FileKeyring(file);
    const first = await keyring.current();
    expect(first.kid).toBe('1');
    expect(await addFileKeyVersion(file)).toBe('2');
    expect((await keyring.current()).kid).toBe('2');
    expect(Buffer.from((await keyring.byKid('1')).key)).toEqual(Buffer.from(first.key));
    await expect(keyring.byKid('3')).rejects.toMatchObject({ code: 'SECRET.UNREADABLE' });
  });
});

/**
 * Sealing: a sealed value is a compact JWE (dir + A256GCM) naming its key's kid, opens under
 * that key after a rotation, and refuses tampering, other algorithms and a key that is gone,
 * without a word of the value in the error.
 */
import { CompactEncrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { MemoryKeyring } from '../adapters/memory/memory-keyring.ts';
import { open, seal, sealedKid } from './sealing.ts';

const SECRET = 'a1b2c3d4e5f6071829304a5b6c7d8e9f00112233445566778899aabbccddeeff';

describe('sealing', () => {
  it('is a compact JWE, dir + A256GCM, naming the current kid, that opens to the value', async () => {
    const keyring = new MemoryKeyring();
    const sealed = await seal(SECRET, keyring);
    expect(sealed.split('.')).toHaveLength(5);
    expect(sealed.split('.')[1]).toBe(''); // dir: no encrypted key
    expect(sealed).not.toContain(SECRET);
    expect(decodeProtectedHeader(sealed)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: '1' });
    expect(sealedKid(sealed)).toBe('1');
    expect(await open(sealed, keyring)).toBe(SECRET);
    // A fresh IV each time.
    expect(await seal(SECRET, keyring)).not.toBe(sealed);
  });

  it('seals under the newest version after a rotation; older values still open', async () => {
    const keyring = new MemoryKeyring();
    const old = await seal(SECRET, keyring);
    keyring.rotate();
    const fresh = await seal(SECRET, keyring);
    expect([sealedKid(old), sealedKid(fresh)]).toEqual(['1', '2']);
    expect(await open(old, keyring)).toBe(SECRET);
    expect(await open(fresh, keyring)).toBe(SECRET);
  });

  it('refuses a tampered value, another algorithm, another key and a version that is gone', async () => {
    const keyring = new MemoryKeyring();
    const sealed = await seal(SECRET, keyring);
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3]!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    const tampered = [...parts.slice(0, 3), flipped.toString('base64url'), parts[4]].join('.');
    const { key } = await keyring.current();
    const otherEnc = await new CompactEncrypt(new TextEncoder().encode(SECRET))
      .setProtectedHeader({ alg: 'dir', enc: 'A128GCM', kid: '1' })
      .encrypt(key.slice(0, 16));
    const stranger = await seal(SECRET, new MemoryKeyring());
    for (const bad of [tampered, otherEnc, stranger, 'not a jwe']) {
      const error = await open(bad, keyring).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'SECRET.UNREADABLE', retryable: false });
      expect(JSON.stringify(error) + String((error as Error).message)).not.toContain(SECRET);
    }
    keyring.rotate();
    keyring.destroy('1');
    await expect(open(sealed, keyring)).rejects.toMatchObject({ code: 'SECRET.UNREADABLE' });
  });

  it('keeps a keyring outage retryable', async () => {
    const keyring = new MemoryKeyring();
    const sealed = await seal(SECRET, keyring);
    const down = {
      current: () => keyring.current(),
      byKid: async () => {
        const { AppError } = await import('../errors/app-error.ts');
        throw new AppError('DEPENDENCY.UNAVAILABLE', 'down');
      },
    };
    await expect(open(sealed, down)).rejects.toMatchObject({
      code: 'DEPENDENCY.UNAVAILABLE',
      retryable: true,
    });
  });
});

/**
 * Secrets sealed at rest: a value is encrypted as a compact JWE (`alg: dir`, `enc: A256GCM`)
 * under the keyring's current key, with that key's `kid` in the protected header; opening
 * looks the key up by that `kid` (so values sealed before a rotation still open) and
 * accepts only those two algorithms. A value that does not open (tampered, or its key
 * version gone) is a `SECRET.UNREADABLE` error whose message carries nothing of the value.
 */
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { AppError, isAppError } from '../errors/app-error.ts';
import type { Keyring } from '../ports/keyring.ts';

const ALG = 'dir';
const ENC = 'A256GCM';

/** Seals `plaintext` under the keyring's current key. */
export async function seal(plaintext: string, keyring: Keyring): Promise<string> {
  const { kid, key } = await keyring.current();
  return new CompactEncrypt(new TextEncoder().encode(plaintext))
    .setProtectedHeader({ alg: ALG, enc: ENC, kid })
    .encrypt(key);
}

/** The `kid` a sealed value names, or null when it is not a sealed value. */
export function sealedKid(sealed: string): string | null {
  try {
    const { kid } = decodeProtectedHeader(sealed);
    return typeof kid === 'string' ? kid : null;
  } catch {
    return null;
  }
}

/** Opens a value `seal` made, under the key its `kid` names. */
export async function open(sealed: string, keyring: Keyring): Promise<string> {
  try {
    const { plaintext } = await compactDecrypt(
      sealed,
      async (header) => {
        if (typeof header.kid !== 'string') throw new AppError('SECRET.UNREADABLE', 'No kid.');
        return (await keyring.byKid(header.kid)).key;
      },
      { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: [ENC] },
    );
    return new TextDecoder().decode(plaintext);
  } catch (error) {
    // The keyring's own retryable failure (Secret Manager down) stays retryable.
    if (isAppError(error) && error.retryable) throw error;
    throw new AppError('SECRET.UNREADABLE', 'A sealed secret could not be opened.', {
      details: { kid: sealedKid(sealed) },
    });
  }
}

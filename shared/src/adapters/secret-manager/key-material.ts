/**
 * What a key version holds: 32 bytes, stored raw or as base64 / base64url text (what
 * `openssl rand -base64 32 | gcloud secrets versions add …` writes). Anything else is refused.
 */
import { AppError } from '../../errors/app-error.ts';

export const KEY_BYTES = 32;

/** The 32 key bytes of a version's payload. */
export function keyMaterial(payload: Uint8Array | string | null | undefined, what: string): Uint8Array {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload ?? []);
  if (bytes.length === KEY_BYTES) return new Uint8Array(bytes);
  const text = bytes.toString('utf8').trim();
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (decoded.length === KEY_BYTES) return new Uint8Array(decoded);
  }
  throw new AppError('SECRET.UNREADABLE', `${what} is not a ${KEY_BYTES}-byte key (raw or base64).`);
}

/**
 * V4 signed URLs (`GOOG4-RSA-SHA256`), verified as Cloud Storage verifies them: the
 * canonical request (method, path, sorted query without the signature, the signed headers,
 * payload hash) is rebuilt from the request actually received, hashed into the string to
 * sign, and the signature checked with the public key of the service account named in
 * `X-Goog-Credential`. The emulator trusts only the keys it was given (`trustedSigners`);
 * `generateDevSigner()` makes a key pair and service-account key file for the local stack.
 *
 * The Node client signs `host` as the hostname of its API endpoint without the port, while
 * other signers include it; the emulator accepts either spelling of the Host it received.
 */
import { createHash, createPublicKey, generateKeyPair, randomBytes, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { promisify } from 'node:util';
import { StorageError } from './errors.ts';

export interface TrustedSigner {
  clientEmail: string;
  publicKeyPem: string;
}

/** The fields of a service-account key file that signing needs (and `generateDevSigner` writes). */
export interface ServiceAccountKey {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
}

export interface DevSigner {
  clientEmail: string;
  privateKeyPem: string;
  publicKeyPem: string;
  /** Pass as `credentials` to `new Storage(...)`, or write to a file for `GOOGLE_APPLICATION_CREDENTIALS`. */
  serviceAccount: ServiceAccountKey;
  /** Pass in the emulator's `trustedSigners`. */
  trustedSigner: TrustedSigner;
}

export interface SignedRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
}

export interface VerifiedSignature {
  clientEmail: string;
  /** Set when the signer committed to the body's SHA-256 (`x-goog-content-sha256`): hex. */
  payloadSha256?: string;
}

const ALGORITHM = 'GOOG4-RSA-SHA256';
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;
/** Tolerated clock difference for a URL dated in the future. */
const CLOCK_SKEW_MS = 5 * 60_000;

export class SignatureVerifier {
  private readonly keys = new Map<string, ReturnType<typeof createPublicKey>>();

  constructor(
    signers: readonly TrustedSigner[],
    private readonly clock: () => number,
  ) {
    for (const signer of signers) this.keys.set(signer.clientEmail, createPublicKey(signer.publicKeyPem));
  }

  /** True when the query carries a V4 signature (whether valid or not). */
  static isSigned(rawQuery: string): boolean {
    return /(^|&)x-goog-signature=/i.test(rawQuery);
  }

  /** Throws a GCS-shaped XML error unless `request` is validly signed, unexpired and by a trusted signer. */
  verify(request: SignedRequest): VerifiedSignature {
    const params = parseQuery(request.rawQuery);
    const get = (name: string): string => {
      const found = params.find(([key]) => key.toLowerCase() === name.toLowerCase());
      if (!found) throw malformed(`Missing ${name} query parameter.`);
      return found[1];
    };
    const algorithm = get('X-Goog-Algorithm');
    const credential = get('X-Goog-Credential');
    const date = get('X-Goog-Date');
    const expires = get('X-Goog-Expires');
    const signedHeadersText = get('X-Goog-SignedHeaders');
    const signature = get('X-Goog-Signature');

    if (algorithm !== ALGORITHM) {
      throw malformed(
        `Unsupported X-Goog-Algorithm '${algorithm}': the emulator verifies ${ALGORITHM} only.`,
      );
    }
    const dateMs = parseGoogDate(date);
    if (!/^\d{1,7}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SECONDS) {
      throw malformed(`X-Goog-Expires must be between 1 and ${MAX_EXPIRES_SECONDS} seconds.`);
    }
    const expiresAt = dateMs + Number(expires) * 1000;
    const now = this.clock();
    if (now >= expiresAt) {
      // GCS answers an expired signed URL with 400 ExpiredToken (not 403).
      throw new StorageError({
        status: 400,
        reason: 'expired',
        xmlCode: 'ExpiredToken',
        message: 'Invalid argument.',
        details: `Request has expired: ${Math.floor(expiresAt / 1000)}`,
      });
    }
    if (now + CLOCK_SKEW_MS < dateMs) {
      throw accessDenied('The signed URL is not valid yet (X-Goog-Date is in the future).');
    }

    const scope = credential.split('/');
    if (scope.length < 5) {
      throw malformed('X-Goog-Credential must be EMAIL/DATE/LOCATION/storage/goog4_request.');
    }
    const [scopeDate, location, service, terminator] = scope.slice(-4) as [string, string, string, string];
    const clientEmail = scope.slice(0, -4).join('/');
    if (
      scopeDate !== date.slice(0, 8) ||
      service !== 'storage' ||
      terminator !== 'goog4_request' ||
      !location
    ) {
      throw malformed(
        'X-Goog-Credential scope does not match X-Goog-Date or is not DATE/LOCATION/storage/goog4_request.',
      );
    }
    const key = this.keys.get(clientEmail);
    if (!key) throw accessDenied(`No trusted signing key for ${clientEmail}.`);

    const signedHeaders = signedHeadersText.split(';');
    if (!signedHeaders.includes('host')) throw malformed('X-Goog-SignedHeaders must include host.');
    const payloadSha256 = signedHeaders.includes('x-goog-content-sha256')
      ? headerValue(request.headers, 'x-goog-content-sha256')
      : undefined;
    const credentialScope = scope.slice(-4).join('/');
    const signatureBytes = /^([0-9a-f]{2})+$/i.test(signature) ? Buffer.from(signature, 'hex') : undefined;

    let first: { canonical: string; stringToSign: string } | undefined;
    for (const host of hostCandidates(request.headers.host)) {
      const canonical = canonicalRequest({
        method: request.method,
        rawPath: request.rawPath,
        params: params.filter(([k]) => k.toLowerCase() !== 'x-goog-signature'),
        headers: { ...request.headers, host },
        signedHeaders,
        payload: payloadSha256 ?? 'UNSIGNED-PAYLOAD',
      });
      const stringToSign = [ALGORITHM, date, credentialScope, sha256Hex(canonical)].join('\n');
      first ??= { canonical, stringToSign };
      if (signatureBytes && verify('RSA-SHA256', Buffer.from(stringToSign), key, signatureBytes)) {
        return payloadSha256 === undefined ? { clientEmail } : { clientEmail, payloadSha256 };
      }
    }
    throw new StorageError({
      status: 403,
      reason: 'forbidden',
      xmlCode: 'SignatureDoesNotMatch',
      message: 'Access denied.',
      details:
        'The request signature we calculated does not match the signature you provided. Check your Google secret key and signing method.',
      xmlExtra: { StringToSign: first!.stringToSign, CanonicalRequest: first!.canonical },
    });
  }
}

/** The exact Host received, and (when it has a port) the bare hostname the Node client signs. */
function hostCandidates(host: string | undefined): string[] {
  if (!host) return [''];
  const bare = host.replace(/:\d+$/, '');
  return bare === host ? [host] : [host, bare];
}

export interface CanonicalInput {
  method: string;
  rawPath: string;
  /** Decoded query parameters, signature excluded. */
  params: [string, string][];
  headers: IncomingHttpHeaders;
  signedHeaders: string[];
  payload: string;
}

/**
 * HTTP_VERB \n PATH_TO_RESOURCE \n CANONICAL_QUERY_STRING \n CANONICAL_HEADERS \n \n
 * SIGNED_HEADERS \n PAYLOAD — with path segments and query keys/values percent-encoded the
 * RFC 3986 way (only A-Z a-z 0-9 - . _ ~ left as is), query sorted by key, header values
 * trimmed with runs of whitespace folded to one space (as the Node client folds them).
 */
export function canonicalRequest(input: CanonicalInput): string {
  const path = input.rawPath
    .split('/')
    .map((segment) => strictEncode(safeDecode(segment)))
    .join('/');
  const query = input.params
    .map(([k, v]) => [strictEncode(k), strictEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = input.signedHeaders
    .map(
      (name) =>
        `${name}:${headerValue(input.headers, name)
          .trim()
          .replace(/\s{2,}/g, ' ')}\n`,
    )
    .join('');
  return [input.method, path, query, headers, input.signedHeaders.join(';'), input.payload].join('\n');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/** Query parameters as sent, decoded (`+` stays `+`: signers encode spaces as %20). */
export function parseQuery(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0
        ? [safeDecode(part), '']
        : [safeDecode(part.slice(0, at)), safeDecode(part.slice(at + 1))];
    });
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw malformed('Malformed percent-encoding in the signed URL.');
  }
}

function strictEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function parseGoogDate(text: string): number {
  const m = text.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
  if (!m) throw malformed(`Invalid X-Goog-Date '${text}': expected YYYYMMDDTHHMMSSZ.`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

function malformed(details: string): StorageError {
  return new StorageError({
    status: 400,
    reason: 'invalid',
    xmlCode: 'MalformedSecurityHeader',
    message: 'Your request has a malformed header.',
    details,
  });
}

function accessDenied(details: string): StorageError {
  return new StorageError({
    status: 403,
    reason: 'forbidden',
    xmlCode: 'AccessDenied',
    message: 'Access denied.',
    details,
  });
}

/** The signer a service-account key file stands for (its public key derived from the private one). */
export function trustedSignerFromKey(key: { client_email: string; private_key: string }): TrustedSigner {
  const publicKeyPem = createPublicKey(key.private_key).export({ type: 'spki', format: 'pem' }).toString();
  return { clientEmail: key.client_email, publicKeyPem };
}

/**
 * A fresh RSA-2048 key pair dressed as a service-account key file, for signing URLs on the
 * local stack. Nothing about it is known to Google: it only works against this emulator.
 */
export async function generateDevSigner(options: {
  projectId: string;
  clientEmail?: string;
}): Promise<DevSigner> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const clientEmail = options.clientEmail ?? `storage-signer@${options.projectId}.iam.gserviceaccount.com`;
  const serviceAccount: ServiceAccountKey = {
    type: 'service_account',
    project_id: options.projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey,
    client_email: clientEmail,
    client_id: BigInt(`0x${randomBytes(8).toString('hex')}`).toString(),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  };
  return {
    clientEmail,
    privateKeyPem: privateKey,
    publicKeyPem: publicKey,
    serviceAccount,
    trustedSigner: { clientEmail, publicKeyPem: publicKey },
  };
}

/**
 * One webhook POST: the body signed with the webhook's secret and the time of the attempt, sent over node:http(s) to
 * an address checked just before (the socket's DNS lookup is pinned to it, so a host that
 * re-resolves between check and connect cannot redirect the request), with a timeout, and
 * no redirect followed (node's client never follows them). The receiver's reply body is
 * read and discarded, bounded.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/** How far a signature's timestamp may be from the receiver's clock, by default (5 minutes). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmacOf = (secret: string, timestamp: number, body: string) =>
  createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>", keyed by the secret's UTF-8 bytes>`:
 * the time is signed with the body, so a receiver that refuses an old `t` refuses a replay.
 */
export function signatureOf(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmacOf(secret, timestamp, body)}`;
}

/**
 * What a receiver does with `X-Taskman-Signature`: true when one `v1` is the HMAC of
 * `"<t>.<body>"` under `secret` (constant time) and `t` is within `toleranceSeconds` of
 * `now` (milliseconds, default the clock).
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  options: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  if (!t || !/^\d{1,12}$/.test(t)) return false;
  const timestamp = Number(t);
  const now = (options.now ?? Date.now()) / 1000;
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(hmacOf(secret, timestamp, body));
  return parts.some(([k, v]) => {
    if (k !== 'v1' || v === undefined) return false;
    const given = Buffer.from(v);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

export interface PostOutcome {
  /** The HTTP status, or null when none came back. */
  status: number | null;
  error: string | null;
}

/** How much of a receiver's reply is read before the connection is dropped. */
const MAX_REPLY_BYTES = 64 * 1024;

/** POSTs `body` to `url`, connecting only to `address`; never throws. */
export function postWebhook(
  url: URL,
  address: { address: string; family: 4 | 6 },
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<PostOutcome> {
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [address]);
    else callback(null, address.address, address.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const req = send(
      url,
      {
        method: 'POST',
        lookup: pinned,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        agent: false,
      },
      (res: IncomingMessage) => {
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_REPLY_BYTES) res.destroy();
        });
        const done = () => finish({ status: res.statusCode ?? null, error: null });
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      },
    );
    // Covers connect, send and the reply together: a slow receiver must not hold the worker.
    const timer = setTimeout(() => {
      finish({ status: null, error: `timed out after ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) =>
      finish({ status: null, error: error.message.slice(0, 500) || 'request failed' }),
    );
    req.end(body);
  });
}

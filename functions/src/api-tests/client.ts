/**
 * The API test suites' client: a small interface every harness satisfies (the in-process
 * one on in-memory adapters, and plain HTTP to the local stack), and its HTTP
 * implementation. Requests go through `node:http` rather than fetch so a test can send
 * exactly the bytes it means to: raw paths (`..`, `%00`), any content type, any body.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { EventEnvelope } from '@taskman/shared/domain/event.schema';
import type { ObjectResource } from '../testing/storage-events.ts';

export interface CallOptions {
  /** Sent as JSON, with `Content-Type: application/json` unless `headers` say otherwise. */
  body?: unknown;
  /** Sent as-is (no content type is added). */
  raw?: string | Buffer;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  headers?: Record<string, string>;
  /**
   * The local address to connect from. Another loopback address (127.0.0.2, …) is another
   * client as far as the server can tell: the address the platform appends is the peer's.
   */
  from?: string;
}

export interface Reply {
  status: number;
  headers: Headers;
  /** The body as text ('' when there is none). */
  text: string;
  /** The body parsed as JSON, the text when it is not JSON, undefined when empty. */
  body: unknown;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience for reading JSON fields
  json: any;
}

/** A signed-in account as the suites use it. */
export interface Account {
  uid: string;
  email: string;
  password: string;
  displayName: string;
  token: string;
  refreshToken: string;
}

export interface ApiClient {
  /** Sends one request; `path` starts with `/v1/` and is sent byte for byte. */
  call(method: string, path: string, options?: CallOptions): Promise<Reply>;
  /** Registers a new member with a unique email and returns the signed-in account. */
  member(name: string): Promise<Account>;
  /** Signs in the seeded admin (`admin@example.com`). */
  admin(): Promise<Account>;
}

/** What storage answered to a request on a signed URL: status, headers and the bytes. */
export interface StorageReply {
  status: number;
  headers: Headers;
  bytes: Buffer;
}

/**
 * Cloud Storage beside the API, as the media suite needs it: what a client does with the
 * signed URLs the API hands out, an upload made without the API, and what a test inspects
 * (objects, a finalize event delivered again, the media events published).
 */
export interface MediaStorage {
  /** The media bucket's name. */
  bucket(): Promise<string>;
  /** Sends a request to a signed URL (a PUT of the bytes, a GET of a redirect's Location). */
  fetchSigned(
    url: string,
    init: { method: 'GET' | 'PUT'; headers?: Record<string, string>; body?: Buffer },
  ): Promise<StorageReply>;
  /** Writes an object straight into the media bucket, as a client with storage access would. */
  writeObject(name: string, bytes: Buffer, contentType: string): Promise<void>;
  /** The object's resource (what its finalize event carries); null when it does not exist. */
  object(name: string): Promise<ObjectResource | null>;
  /** Names of the objects under `prefix` in the media bucket. */
  list(prefix: string): Promise<string[]>;
  /** Delivers a finalize CloudEvent with this id for `object` to processUpload; the HTTP status. */
  deliverFinalized(object: ObjectResource, id: string): Promise<number>;
  /** Every distinct media event published so far whose data names `mediaId`. */
  mediaEvents(mediaId: string): Promise<EventEnvelope[]>;
  /** How long to wait for stragglers before counting events (0 where publishing is synchronous). */
  quietMs: number;
}

/** The API plus storage: what the media suite takes. */
export interface MediaApiClient extends ApiClient {
  storage: MediaStorage;
}

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'admin-password';
export const MEMBER_PASSWORD = 'password-123';

/** A unique, valid email for a new account. */
export function uniqueEmail(name: string): string {
  const safe = name.toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'user';
  return `${safe}-${randomUUID().slice(0, 8)}-${Date.now().toString(36)}@example.com`;
}

/** Registers an account through the API; throws when the API refuses. */
export async function registerAccount(
  call: ApiClient['call'],
  name: string,
  email = uniqueEmail(name),
): Promise<Account> {
  const r = await call('POST', '/v1/auth/register', {
    body: { email, password: MEMBER_PASSWORD, displayName: name },
  });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
  return {
    uid: r.json.user.id,
    email,
    password: MEMBER_PASSWORD,
    displayName: name,
    token: r.json.idToken,
    refreshToken: r.json.refreshToken,
  };
}

/** Signs in through the API; throws when the API refuses. */
export async function loginAccount(
  call: ApiClient['call'],
  email: string,
  password: string,
): Promise<Account> {
  const r = await call('POST', '/v1/auth/login', { body: { email, password } });
  if (r.status !== 200) throw new Error(`login of ${email} failed: ${r.status} ${r.text}`);
  return {
    uid: r.json.user.id,
    email,
    password,
    displayName: r.json.user.displayName,
    token: r.json.idToken,
    refreshToken: r.json.refreshToken,
  };
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends the request with node:http, keeping the path exactly as given. */
function send(base: URL, agent: Agent, method: string, path: string, options: CallOptions): Promise<Reply> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    payload = Buffer.from(JSON.stringify(options.body));
    headers['content-type'] ??= 'application/json';
  } else if (options.raw !== undefined) {
    payload = Buffer.isBuffer(options.raw) ? options.raw : Buffer.from(options.raw);
  }
  if (payload) headers['content-length'] = String(payload.length);
  const prefix = base.pathname.replace(/\/+$/, '');
  return new Promise<Reply>((resolve, reject) => {
    let settled = false;
    const req = request(
      {
        host: base.hostname,
        port: base.port || 80,
        method,
        path: `${prefix}${path}`,
        headers,
        agent,
        ...(options.from ? { localAddress: options.from } : {}),
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          settled = true;
          const text = Buffer.concat(chunks).toString('utf8');
          const body = parseBody(text);
          resolve({
            status: res.statusCode ?? 0,
            headers: toHeaders(res.headers),
            text,
            body,
            json: body,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    // A server may answer (413) and close before reading a large body: the answer counts.
    req.on('error', (error) => {
      if (!settled) setTimeout(() => settled || reject(error), 50);
    });
    if (payload) req.end(payload);
    else req.end();
  });
}

/** An ApiClient speaking HTTP to `baseUrl` (for example `http://127.0.0.1:3000`). */
export function httpApiClient(baseUrl: string): ApiClient & { close(): void } {
  const base = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const call: ApiClient['call'] = (method, path, options = {}) => send(base, agent, method, path, options);
  return {
    call,
    member: (name) => registerAccount(call, name),
    admin: () => loginAccount(call, ADMIN_EMAIL, ADMIN_PASSWORD),
    close: () => agent.destroy(),
  };
}

/**
 * The dev host: every function of the manifest in one process, behind one HTTP server that
 * plays the gateway. Each entry module registers itself with functions-framework when
 * imported; `getTestServer(name)` then gives that function its own, non-listening server,
 * and a request is handed to it with `emit('request')` — the same express stack, body
 * parsing and CloudEvent conversion as in the cloud, without a port per function.
 *
 * Routes: `METHOD /v1/...` through the router (404/405 with the API's error body),
 * `POST /_events/<name>/projects/P/topics/T` to an event function (the Pub/Sub emulator's
 * push subscriptions point there), `GET /_dev/events` the recent deliveries (for tests and
 * debugging). Scheduled functions get a tick on their topic every few seconds, standing in
 * for Cloud Scheduler.
 *
 * What an event function receives is what Eventarc would send it. For a Pub/Sub trigger,
 * functions-framework turns the push into the `messagePublished` CloudEvent itself. For a
 * storage trigger, the push carries a Cloud Storage notification (from the storage
 * emulator's bucket notification configuration): the dev host converts it into the
 * binary-mode `google.cloud.storage.object.v1.*` CloudEvent (see `eventarc.ts`) and hands
 * that to the function, when the event type and bucket are the trigger's; otherwise it
 * acknowledges the push (204) without calling anything, as Eventarc's trigger filter would.
 * Either way the function's answer is the push's answer: 2xx acknowledges, anything else
 * makes the Pub/Sub emulator redeliver, so a retryable failure is retried.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { PubSub } from '@google-cloud/pubsub';
import type { FunctionSpec } from '@taskman/functions/manifest';
import { parseMediaConfig } from '@taskman/shared/config/media-config';
import { CORRELATION_ID_HEADER, CORRELATION_ID_PATTERN } from '@taskman/shared/logging/context';
import type { Logger } from 'pino';
import { storageCloudEvent } from './eventarc.ts';
import { createRouter, type Route } from './router.ts';

const FUNCTIONS_SRC = fileURLToPath(new URL('../../functions/src/', import.meta.url));

export interface DevHostOptions {
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on; loopback by default (the stack holds an admin password). */
  host?: string;
  manifest: readonly FunctionSpec[];
  logger: Logger;
  /**
   * Makes the function's entry register itself with functions-framework; returns false
   * when the entry does not exist (yet). Default: import `functions/src/<entry>.ts`.
   */
  loadEntry?: (spec: FunctionSpec) => Promise<boolean>;
  /** Milliseconds between ticks of scheduled functions; 0 turns ticks off. Default 5000. */
  scheduleTickMs?: number;
  /** `host:port` of the Pub/Sub emulator, for the ticks. Default `PUBSUB_EMULATOR_HOST`. */
  pubsubHost?: string;
  projectId?: string;
  /**
   * The real name of each bucket the manifest's storage triggers name (`media`). Default:
   * the media configuration's bucket (`MEDIA_BUCKET`, else `<project>-media`).
   */
  buckets?: Record<string, string>;
}

/** One push handed to an event function, as `GET /_dev/events` lists it. */
export interface Delivery {
  function: string;
  topic: string | null;
  messageId: string | null;
  status: number;
  durationMs: number;
  at: string;
  /** Storage triggers: the CloudEvent's type and subject, when one was made. */
  type?: string;
  subject?: string;
  /** Storage triggers: why the push was acknowledged without calling the function. */
  skipped?: string;
}

export interface DevHost {
  /** `http://host:port`, without the `/v1`. */
  url: string;
  port: number;
  /** Functions of the manifest whose entry module does not exist yet. */
  missing: string[];
  close(): Promise<void>;
}

type Dispatch = (req: IncomingMessage, res: ServerResponse) => void;
type StorageTrigger = Extract<FunctionSpec['trigger'], { kind: 'storage' }>;

/** What a storage delivery learns on its way, for its record. */
interface StorageDelivery {
  messageId?: string | null;
  type?: string;
  subject?: string;
  skipped?: string;
}

const MAX_DELIVERIES = 200;
/** Largest Pub/Sub push body read for a storage trigger (a message is at most 10 MB). */
const MAX_PUSH_BYTES = 16 * 1024 * 1024;

/** Imports `functions/src/<entry>.ts`; false when that file does not exist. */
async function importEntry(spec: FunctionSpec): Promise<boolean> {
  const file = `${FUNCTIONS_SRC}${spec.entry}.ts`;
  try {
    await access(file);
  } catch {
    return false;
  }
  await import(pathToFileURL(file).href);
  return true;
}

/** Writes the API's error body, with a fresh request id. */
function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const requestId = randomUUID();
  const incoming = req.headers[CORRELATION_ID_HEADER.toLowerCase()];
  const correlationId =
    typeof incoming === 'string' && CORRELATION_ID_PATTERN.test(incoming) ? incoming : requestId;
  const body = JSON.stringify({ error: { code, message, requestId } });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Request-Id': requestId,
    [CORRELATION_ID_HEADER]: correlationId,
    ...headers,
  });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The Pub/Sub push body's message id, read from functions-framework's copy of the raw body. */
function pushMessageId(req: IncomingMessage): string | null {
  const raw = (req as IncomingMessage & { rawBody?: Buffer }).rawBody;
  if (!raw) return null;
  try {
    const body = JSON.parse(raw.toString('utf8')) as { message?: { messageId?: unknown } };
    return typeof body.message?.messageId === 'string' ? body.message.messageId : null;
  } catch {
    return null;
  }
}

/** The message id of a parsed push body, if it has one. */
function messageIdOf(push: unknown): string | null {
  const message = (push as { message?: { messageId?: unknown; message_id?: unknown } } | null)?.message;
  const id = message?.messageId ?? message?.message_id;
  return typeof id === 'string' ? id : null;
}

/** The whole body of a request, refusing more than `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`The body is larger than ${limit} bytes.`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * A request for functions-framework made here rather than received: same connection as
 * `from` (express reads the peer address from it), our method, URL, headers and body.
 */
function syntheticRequest(
  from: IncomingMessage,
  url: string,
  headers: Record<string, string>,
  body: Buffer,
): IncomingMessage {
  const req = new IncomingMessage(from.socket as Socket);
  req.method = 'POST';
  req.url = url;
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  const all: IncomingHttpHeaders = {
    ...(from.headers.host ? { host: from.headers.host } : {}),
    ...headers,
    'content-length': String(body.length),
  };
  req.headers = all;
  req.rawHeaders = Object.entries(all).flatMap(([k, v]) => [k, String(v)]);
  req.push(body);
  req.push(null);
  // Received whole: destroying it after use must not take the shared connection along
  // (an IncomingMessage destroyed incomplete counts as aborted and destroys its socket).
  req.complete = true;
  return req;
}

/** Loads every function and serves them on one port. */
export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const log = options.logger;
  const loadEntry = options.loadEntry ?? importEntry;
  const dispatchers = new Map<string, Dispatch>();
  const missing: string[] = [];
  for (const spec of options.manifest) {
    let loaded: boolean;
    try {
      loaded = await loadEntry(spec);
    } catch (error) {
      throw new Error(`Could not load the entry of ${spec.name} (functions/src/${spec.entry}.ts)`, {
        cause: error,
      });
    }
    if (!loaded) {
      missing.push(spec.name);
      continue;
    }
    // Throws when the module did not register `spec.name`: a wiring bug worth stopping for.
    const server = getTestServer(spec.name);
    dispatchers.set(spec.name, (req, res) => server.emit('request', req, res));
  }
  if (missing.length > 0) {
    log.warn(
      { event: 'devhost.entries_missing', functions: missing },
      `Not written yet (answer 501): ${missing.join(', ')}`,
    );
  }

  const routes: Route[] = [];
  const eventFunctions = new Map<string, FunctionSpec>();
  for (const spec of options.manifest) {
    if (spec.trigger.kind === 'http')
      routes.push({ name: spec.name, method: spec.trigger.method, path: spec.trigger.path });
    else eventFunctions.set(spec.name, spec);
  }
  const route = createRouter(routes);
  const deliveries: Delivery[] = [];
  // Read now, so a bad media configuration stops the start rather than the first upload.
  const buckets: Record<string, string | undefined> =
    options.buckets ??
    (options.manifest.some((s) => s.trigger.kind === 'storage')
      ? { media: parseMediaConfig(process.env).bucket }
      : {});

  function dispatchTo(name: string, req: IncomingMessage, res: ServerResponse): void {
    const dispatch = dispatchers.get(name);
    if (!dispatch) {
      sendError(
        req,
        res,
        501,
        'ROUTE.NOT_IMPLEMENTED',
        `${name} is in the manifest but its entry module does not exist yet.`,
      );
      return;
    }
    dispatch(req, res);
  }

  function deliverEvent(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void {
    const [, , encodedName = '', ...rest] = pathname.split('/');
    let name = encodedName;
    try {
      name = decodeURIComponent(encodedName);
    } catch {
      // Malformed escapes name no function: the lookup below answers 404.
    }
    const spec = eventFunctions.get(name);
    if (!spec) {
      sendError(req, res, 404, 'ROUTE.NOT_FOUND', `No event function named ${name}.`);
      return;
    }
    if (req.method !== 'POST') {
      sendError(req, res, 405, 'ROUTE.METHOD_NOT_ALLOWED', 'Event deliveries are POSTs.', { Allow: 'POST' });
      return;
    }
    const started = performance.now();
    const topic = rest.join('/').match(/^projects\/[^/]+\/topics\/([^/]+)$/)?.[1] ?? null;
    const storage: StorageDelivery | undefined = spec.trigger.kind === 'storage' ? {} : undefined;
    res.once('finish', () => {
      const delivery: Delivery = {
        function: name,
        topic,
        messageId: storage ? (storage.messageId ?? null) : pushMessageId(req),
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
        at: new Date().toISOString(),
        ...(storage?.type ? { type: storage.type } : {}),
        ...(storage?.subject ? { subject: storage.subject } : {}),
        ...(storage?.skipped ? { skipped: storage.skipped } : {}),
      };
      deliveries.push(delivery);
      if (deliveries.length > MAX_DELIVERIES) deliveries.shift();
      const ok = delivery.status < 300;
      const what = delivery.subject ? ` ${delivery.type?.split('.').pop()} ${delivery.subject}` : '';
      const outcome = delivery.skipped
        ? ` (skipped: ${delivery.skipped})`
        : ok
          ? ''
          : ' (Pub/Sub will redeliver)';
      // Ticks arrive every few seconds: successful deliveries stay out of the way.
      log[ok ? 'debug' : 'warn'](
        { event: 'devhost.event_delivered', ...delivery },
        `${name} ← ${topic ?? '?'} ${delivery.messageId ?? ''}${what}: ${delivery.status}${outcome}`,
      );
    });
    if (storage && spec.trigger.kind === 'storage') {
      deliverStorageEvent(name, spec.trigger, req, res, storage).catch((error: unknown) => {
        log.error(
          { event: 'devhost.dispatch_failed', err: error },
          `Could not deliver a storage event to ${name}`,
        );
        if (!res.headersSent) sendError(req, res, 500, 'INTERNAL', 'Something went wrong on our side.');
        else res.destroy();
      });
      return;
    }
    // functions-framework reads the topic from the path, as it arrives through Eventarc.
    req.url = `/${rest.join('/')}${search}`;
    dispatchTo(name, req, res);
  }

  /**
   * Eventarc's part for a storage trigger: the push's GCS notification becomes the storage
   * CloudEvent, handed to the function when its event type and bucket are the trigger's.
   */
  async function deliverStorageEvent(
    name: string,
    trigger: StorageTrigger,
    req: IncomingMessage,
    res: ServerResponse,
    info: StorageDelivery,
  ): Promise<void> {
    let push: unknown;
    try {
      push = JSON.parse((await readBody(req, MAX_PUSH_BYTES)).toString('utf8'));
    } catch (error) {
      const why = error instanceof SyntaxError ? 'the body is not JSON' : (error as Error).message;
      sendError(req, res, 400, 'REQUEST.VALIDATION', `Not a Pub/Sub push body: ${why}`);
      return;
    }
    const skip = (reason: string) => {
      info.skipped = reason;
      res.writeHead(204).end();
    };
    const converted = storageCloudEvent(push);
    if (!converted.ok) {
      if (converted.malformed) {
        sendError(req, res, 400, 'REQUEST.VALIDATION', `Not a Pub/Sub push body: ${converted.reason}`);
        return;
      }
      info.messageId = messageIdOf(push);
      // Acknowledged: redelivering a message Eventarc would never deliver helps nobody.
      skip(converted.reason);
      return;
    }
    const { event } = converted;
    info.messageId = event.id;
    info.type = event.headers['ce-type'];
    info.subject = event.headers['ce-subject'];
    const bucket = buckets[trigger.bucket];
    if (event.bucket !== bucket) {
      skip(`bucket ${event.bucket} is not the trigger's (${bucket ?? trigger.bucket})`);
      return;
    }
    if (event.kind !== trigger.event) {
      skip(`${event.kind} events do not trigger ${name}`);
      return;
    }
    if (event.overwrittenByGeneration) {
      log.debug(
        { event: 'devhost.storage_overwrite', object: event.object, by: event.overwrittenByGeneration },
        `${name}: the delete of ${event.object} is an overwrite; delivered as deleted, as Eventarc does`,
      );
    }
    dispatchTo(name, syntheticRequest(req, '/', event.headers, event.body), res);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://dev-host');
    } catch {
      sendError(req, res, 400, 'REQUEST.VALIDATION', 'The request URL is not valid.');
      return;
    }
    const { pathname, search } = url;
    if (pathname.startsWith('/_events/')) {
      deliverEvent(req, res, pathname, search);
      return;
    }
    if (pathname === '/_dev/events' && method === 'GET') {
      sendJson(res, 200, { deliveries });
      return;
    }
    const preflightFor = req.headers['access-control-request-method'];
    const match = route(method, pathname, typeof preflightFor === 'string' ? preflightFor : undefined);
    if (match.kind === 'function') {
      // As the platform's front end does: the functions key anonymous traffic on this entry.
      const peer = req.socket.remoteAddress ?? 'unknown';
      const forwarded = req.headers['x-forwarded-for'];
      req.headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${peer}` : peer;
      dispatchTo(match.name, req, res);
    } else if (match.kind === 'method-not-allowed') {
      sendError(
        req,
        res,
        405,
        'ROUTE.METHOD_NOT_ALLOWED',
        `${method} is not allowed on ${match.template}; use ${match.allow.join(', ')}.`,
        { Allow: match.allow.join(', ') },
      );
    } else {
      sendError(req, res, 404, 'ROUTE.NOT_FOUND', `No route for ${method} ${pathname}.`);
    }
  }

  const server: Server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      log.error(
        { event: 'devhost.dispatch_failed', err: error },
        'The dev host failed to dispatch a request',
      );
      if (!res.headersSent) sendError(req, res, 500, 'INTERNAL', 'Something went wrong on our side.');
      else res.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  const stopTicks = startTicks(options, dispatchers, log);

  return {
    url,
    port,
    missing,
    async close() {
      await stopTicks();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/**
 * Cloud Scheduler's part: a message on each loaded scheduled function's topic every
 * `scheduleTickMs`. Returns the function that stops the ticks.
 */
function startTicks(
  options: DevHostOptions,
  loaded: ReadonlyMap<string, Dispatch>,
  log: Logger,
): () => Promise<void> {
  const scheduled = options.manifest.filter(
    (s): s is FunctionSpec & { trigger: { kind: 'pubsub'; topic: string; schedule: string } } =>
      s.trigger.kind === 'pubsub' && s.trigger.schedule !== undefined && loaded.has(s.name),
  );
  const every = options.scheduleTickMs ?? 5_000;
  const pubsubHost = options.pubsubHost ?? process.env.PUBSUB_EMULATOR_HOST;
  if (scheduled.length === 0 || every <= 0) return async () => {};
  if (!pubsubHost) {
    log.warn({ event: 'devhost.ticks_off' }, 'No PUBSUB_EMULATOR_HOST: scheduled functions will not run');
    return async () => {};
  }
  let client: Promise<PubSub> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let failing = false;
  const tick = async () => {
    client ??= import('@google-cloud/pubsub').then(
      ({ PubSub }) =>
        new PubSub({ projectId: options.projectId, apiEndpoint: pubsubHost, emulatorMode: true }),
    );
    const pubsub = await client;
    await Promise.all(
      scheduled.map((spec) =>
        pubsub.topic(spec.trigger.topic).publishMessage({
          // functions-framework ignores a push without data, so the tick carries some.
          json: {
            scheduledAt: new Date().toISOString(),
            schedule: spec.trigger.schedule,
            source: 'dev-host',
          },
        }),
      ),
    );
  };
  const loop = () => {
    timer = setTimeout(async () => {
      try {
        await tick();
        if (failing) log.info({ event: 'devhost.ticks_resumed' }, 'Scheduled ticks are published again');
        failing = false;
      } catch (error) {
        // One warning per outage, not one per tick.
        if (!failing)
          log.warn({ event: 'devhost.tick_failed', err: error }, 'Could not publish a scheduled tick');
        failing = true;
      }
      if (!stopped) loop();
    }, every);
  };
  loop();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    if (client) await (await client).close();
  };
}

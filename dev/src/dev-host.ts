/**
 * The dev host: every function of the manifest in one process, behind one HTTP server that
 * plays the gateway. Each entry module registers itself with functions-framework when
 * imported; `getTestServer(name)` then gives that function its own, non-listening server,
 * and a request is handed to it with `emit('request')` — the same express stack, body
 * parsing and CloudEvent conversion as in the cloud, without a port per function.
 *
 * Routes: `METHOD /v1/...` through the router (404/405 with the API's error body),
 * `POST /_events/<name>/projects/P/topics/T` to an event function (the Pub/Sub emulator's
 * push subscriptions point there; functions-framework turns the push into the
 * `messagePublished` CloudEvent), `GET /_dev/events` the recent deliveries (for tests and
 * debugging). Scheduled functions get a tick on their topic every few seconds, standing in
 * for Cloud Scheduler.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { PubSub } from '@google-cloud/pubsub';
import type { FunctionSpec } from '@taskman/functions/manifest';
import type { Logger } from 'pino';
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
}

/** One push handed to an event function, as `GET /_dev/events` lists it. */
export interface Delivery {
  function: string;
  topic: string | null;
  messageId: string | null;
  status: number;
  durationMs: number;
  at: string;
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

const CORRELATION_ID = /^[\w.:-]{1,128}$/;
const MAX_DELIVERIES = 200;

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
  const incoming = req.headers['x-correlation-id'];
  const correlationId = typeof incoming === 'string' && CORRELATION_ID.test(incoming) ? incoming : requestId;
  const body = JSON.stringify({ error: { code, message, requestId } });
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'X-Request-Id': requestId,
    'X-Correlation-Id': correlationId,
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
    res.once('finish', () => {
      const delivery: Delivery = {
        function: name,
        topic,
        messageId: pushMessageId(req),
        status: res.statusCode,
        durationMs: Math.round(performance.now() - started),
        at: new Date().toISOString(),
      };
      deliveries.push(delivery);
      if (deliveries.length > MAX_DELIVERIES) deliveries.shift();
      const ok = delivery.status < 300;
      // Ticks arrive every few seconds: successful deliveries stay out of the way.
      log[ok ? 'debug' : 'warn'](
        { event: 'devhost.event_delivered', ...delivery },
        `${name} ← ${topic ?? '?'} ${delivery.messageId ?? ''}: ${delivery.status}${ok ? '' : ' (Pub/Sub will redeliver)'}`,
      );
    });
    // functions-framework reads the topic from the path, as it arrives through Eventarc.
    req.url = `/${rest.join('/')}${search}`;
    dispatchTo(name, req, res);
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

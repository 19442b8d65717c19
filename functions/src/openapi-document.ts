/**
 * Generates the OpenAPI 3.1 document from the manifest's HTTP contracts: the same zod
 * schemas that validate requests describe them (zod's JSON Schema output is draft 2020-12,
 * which OpenAPI 3.1 uses). Its `webhooks` describe what a webhook receives, one event type
 * each, from the schemas consumers validate envelopes with. Pure: the openapi function and
 * the contract test both call it.
 */

import { ErrorBodySchema } from '@taskman/shared/domain/common.schema';
import {
  EVENT_DATA_SCHEMAS,
  EventTypeSchema,
  eventEnvelopeSchema,
  topicFor,
} from '@taskman/shared/domain/event.schema';
import { CORRELATION_ID_HEADER } from '@taskman/shared/logging/context';
import { z } from 'zod';
import type { FunctionSpec } from './manifest.ts';

type Json = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete json.$schema;
  return json;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Validation failed (details lists each bad field)',
  401: 'Missing or bad token',
  403: 'Role missing or action not allowed',
  404: 'Absent or not visible to the caller',
  409: 'Conflict or invalid state change',
  412: 'If-Match is stale',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Idempotency-Key reused with another body',
  429: 'Rate limited (see Retry-After)',
  500: 'Unexpected error',
  503: 'A dependency is unavailable',
};

function parametersOf(spec: FunctionSpec): Json[] {
  const api = spec.api!;
  const params: Json[] = [];
  for (const [where, schema] of [
    ['path', api.params],
    ['query', api.query],
  ] as const) {
    if (!schema) continue;
    const json = schemaOf(schema, 'input');
    const props = (json.properties ?? {}) as Record<string, Json>;
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, s] of Object.entries(props)) {
      params.push({
        name,
        in: where,
        required: where === 'path' || (required.has(name) && s.default === undefined),
        schema: s,
      });
    }
  }
  if (api.method === 'PATCH' || api.method === 'DELETE') {
    params.push({ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } });
  }
  if (api.method === 'GET' && api.responses[304] !== undefined) {
    params.push({ name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } });
  }
  if (api.idempotent) {
    params.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'The same key and body within 24 h replays the first response.',
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    });
  }
  params.push({
    name: CORRELATION_ID_HEADER,
    in: 'header',
    required: false,
    schema: { type: 'string', maxLength: 128 },
  });
  return params;
}

function responsesOf(spec: FunctionSpec): Json {
  const api = spec.api!;
  const responses: Json = {};
  const headers = { 'X-Request-Id': { schema: { type: 'string' } } };
  for (const [status, schema] of Object.entries(api.responses)) {
    responses[status] = {
      description: STATUS_TEXT[Number(status)] ?? 'Response',
      headers,
      ...(schema ? { content: { 'application/json': { schema: schemaOf(schema, 'output') } } } : {}),
    };
  }
  const errors = new Set<number>([400, 429, 500]);
  if (api.auth !== 'none') errors.add(401);
  if (api.auth === 'admin') errors.add(403);
  if (api.params) errors.add(404);
  if (api.body) errors.add(413).add(415);
  for (const status of errors) {
    responses[String(status)] ??= {
      description: STATUS_TEXT[status],
      headers,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return responses;
}

const DELIVERY_HEADERS: Json[] = [
  [
    'X-Taskman-Signature',
    't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>", keyed by the webhook secret>. Recompute it over the raw body, compare in constant time, and refuse a t more than 5 minutes from your clock (a replay).',
  ],
  ['X-Taskman-Delivery', 'The delivery id, the same on every attempt'],
  ['X-Taskman-Event', 'The event type'],
].map(([name, description]) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string' },
}));

/** What a webhook subscribed to each event type receives: a POST of the event's envelope. */
function webhooksOf(): Record<string, Json> {
  return Object.fromEntries(
    EventTypeSchema.options.map((eventType) => [
      eventType,
      {
        post: {
          summary: EVENT_DATA_SCHEMAS[eventType].description,
          description: `The \`${eventType}\` envelope, published on \`${topicFor(eventType)}\`. Data fields not listed may be added.`,
          tags: ['events'],
          security: [],
          parameters: DELIVERY_HEADERS,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(eventEnvelopeSchema(eventType), 'output') } },
          },
          responses: { '2XX': { description: 'Received; any other answer is retried with backoff' } },
        },
      },
    ]),
  );
}

/** The OpenAPI 3.1 document of every HTTP function in the manifest, and of the webhooks. */
export function openApiDocument(manifest: readonly FunctionSpec[]): Json {
  const paths: Record<string, Json> = {};
  for (const spec of manifest) {
    if (!spec.api) continue;
    const api = spec.api;
    const operation: Json = {
      operationId: api.name,
      summary: api.summary,
      tags: [api.tag],
      parameters: parametersOf(spec),
      responses: responsesOf(spec),
      ...(api.auth === 'none' ? { security: [] } : {}),
      ...(api.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(api.body, 'input') } },
            },
          }
        : {}),
      'x-google-backend': { function: spec.name },
    };
    paths[api.path] = { ...(paths[api.path] ?? {}), [api.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Taskman API',
      version: '1.0.0',
      description: 'Tasks with media. Errors always use the Error body; every response carries X-Request-Id.',
    },
    servers: [{ url: '/' }],
    security: [{ firebase: [] }],
    paths,
    webhooks: webhooksOf(),
    components: {
      securitySchemes: {
        firebase: { type: 'http', scheme: 'bearer', bearerFormat: 'Firebase ID token' },
      },
      schemas: { Error: schemaOf(ErrorBodySchema, 'output') },
    },
  };
}

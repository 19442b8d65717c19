/**
 * The generated OpenAPI document is valid OpenAPI 3.1, describes every HTTP function, and
 * every event type as a webhook (left out of the gateway's copy).
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { EventTypeSchema } from '@taskman/shared/domain/event.schema';
import { describe, expect, it } from 'vitest';
import { gatewayDocument } from '../scripts/export-openapi.ts';
import { MANIFEST } from './manifest.ts';
import { openApiDocument } from './openapi-document.ts';

describe('OpenAPI document', () => {
  const doc = openApiDocument(MANIFEST);

  it('is valid OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has one operation per HTTP function, at its method and path, with its path parameters', () => {
    const paths = doc.paths as Record<
      string,
      Record<string, { operationId: string; parameters: { name: string; in: string }[] }>
    >;
    for (const spec of MANIFEST.filter((f) => f.api)) {
      const op = paths[spec.api!.path]?.[spec.api!.method.toLowerCase()];
      expect(op?.operationId, spec.name).toBe(spec.name);
      const templated = [...spec.api!.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(op!.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(templated);
    }
    const operations = Object.values(paths).flatMap((p) => Object.keys(p));
    expect(operations).toHaveLength(MANIFEST.filter((f) => f.api).length);
  });

  it('describes request bodies strictly (unknown fields are refused)', () => {
    const paths = doc.paths as Record<
      string,
      Record<
        string,
        { requestBody?: { content: Record<string, { schema: { additionalProperties?: unknown } }> } }
      >
    >;
    const create = paths['/v1/tasks']?.post?.requestBody?.content['application/json']?.schema;
    expect(create?.additionalProperties).toBe(false);
  });

  it('describes each event type as a webhook whose body is its envelope, data fields named', () => {
    type Schema = { properties: Record<string, Schema>; required?: string[]; const?: unknown };
    const webhooks = doc.webhooks as Record<
      string,
      { post: { requestBody: { content: Record<string, { schema: Schema }> } } }
    >;
    expect(Object.keys(webhooks)).toEqual(EventTypeSchema.options);
    const body = (type: string) => webhooks[type]!.post.requestBody.content['application/json']!.schema;
    for (const type of EventTypeSchema.options) expect(body(type).properties.eventType?.const).toBe(type);
    expect(body('task.updated').properties.data?.required).toEqual(['task', 'changedFields', 'previous']);
    expect(body('media.failed').properties.data?.required).toEqual(['mediaId', 'ownerId', 'reason']);
    expect(gatewayDocument()).not.toHaveProperty('webhooks');
  });

  it('documents the delivery headers: the signature covers the timestamp and the body', () => {
    const webhooks = doc.webhooks as Record<
      string,
      { post: { parameters: { name: string; in: string; description: string }[] } }
    >;
    for (const type of EventTypeSchema.options) {
      const headers = webhooks[type]!.post.parameters;
      expect(headers.map((h) => [h.in, h.name])).toEqual([
        ['header', 'X-Taskman-Signature'],
        ['header', 'X-Taskman-Delivery'],
        ['header', 'X-Taskman-Event'],
      ]);
      expect(headers[0]!.description).toMatch(/^t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>\.<body>"/);
    }
  });
});

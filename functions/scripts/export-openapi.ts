/**
 * Writes the API Gateway's OpenAPI document to `terraform/openapi.json`: the document the
 * `openapi` function serves, with each operation routed to its function. API Gateway reads
 * OpenAPI 3.x extensions in their 3.x shape: one named backend per function under the root
 * `x-google-api-management.backends`, and `x-google-backend` on an operation naming one.
 * Backend addresses are `${FUNCTION_URL_<NAME>}` placeholders that Terraform's
 * `templatefile` fills with the deployed functions' URLs.
 *
 * CORS: API Gateway (ESPv2) answers no preflight itself and routes OPTIONS only where the
 * document has an `options` operation. A path may span several functions (GET, PATCH and
 * DELETE of /v1/tasks/{id}), so each path gets one `options` operation, routed to the
 * path's first function, whose preflight allows every method of the path (the manifest
 * gives each contract `pathMethods`) for the configured CORS_ORIGINS.
 *
 * Security requirements are left out of this copy: the functions verify Firebase ID tokens
 * themselves (the gateway only routes and authenticates itself to the private functions).
 * So are the `webhooks`: they describe requests Taskman sends, which the gateway never sees.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MANIFEST } from '../src/manifest.ts';
import { openApiDocument } from '../src/openapi-document.ts';

export const OPENAPI_JSON = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'terraform',
  'openapi.json',
);

type JsonObject = Record<string, unknown>;

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/** `authRegister` → `FUNCTION_URL_AUTH_REGISTER`, the variable Terraform fills. */
export function urlPlaceholder(name: string): string {
  return `FUNCTION_URL_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** The gateway's document: backends by function, placeholders for their addresses. */
export function gatewayDocument(): JsonObject {
  const doc = structuredClone(openApiDocument(MANIFEST)) as JsonObject;
  const backends: Record<string, JsonObject> = {};
  const paths = (doc.paths ?? {}) as Record<string, JsonObject>;
  for (const [path, item] of Object.entries(paths)) {
    const operations = Object.entries(item).filter(([method]) => METHODS.has(method));
    const [, first] = operations[0] ?? [];
    const firstBackend = (first as JsonObject | undefined)?.['x-google-backend'] as
      | { function?: unknown }
      | undefined;
    if (!item.options && typeof firstBackend?.function === 'string') {
      const parameters = ((first as JsonObject).parameters as JsonObject[] | undefined)?.filter(
        (p) => p.in === 'path',
      );
      item.options = {
        operationId: `${firstBackend.function}Preflight`,
        summary: `CORS preflight of ${path}: allows ${operations.map(([m]) => m.toUpperCase()).join(', ')}`,
        tags: (first as JsonObject).tags,
        ...(parameters && parameters.length > 0 ? { parameters } : {}),
        responses: { '204': { description: 'The CORS headers for an allowed origin.' } },
        'x-google-backend': { function: firstBackend.function },
      };
    }
    for (const [method, value] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const operation = value as JsonObject;
      const backend = operation['x-google-backend'] as { function?: unknown } | undefined;
      if (typeof backend?.function !== 'string') {
        throw new Error(
          `${method.toUpperCase()} operation ${String(operation.operationId)} names no function`,
        );
      }
      const name = backend.function;
      const address = `\${${urlPlaceholder(name)}}`;
      backends[name] = { address, jwtAudience: address, pathTranslation: 'APPEND_PATH_TO_ADDRESS' };
      operation['x-google-backend'] = name;
      delete operation.security;
    }
  }
  delete doc.security;
  delete doc.webhooks;
  const components = doc.components as JsonObject | undefined;
  if (components) delete components.securitySchemes;
  doc['x-google-api-management'] = { backends };
  return doc;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(OPENAPI_JSON, `${JSON.stringify(gatewayDocument(), null, 2)}\n`);
  console.log(`Wrote ${OPENAPI_JSON}`);
}

/** GET /v1/openapi.json: the OpenAPI 3.1 document, generated once per instance from the manifest. */
import { http } from '@google-cloud/functions-framework';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { API, MANIFEST } from '../manifest.ts';
import { openApiDocument } from '../openapi-document.ts';

let document: Record<string, unknown> | undefined;

http(
  API.openapi.name,
  httpFunction(API.openapi, async () => {
    document ??= openApiDocument(MANIFEST);
    return { status: 200, body: document, headers: { 'Cache-Control': 'public, max-age=300' } };
  }),
);

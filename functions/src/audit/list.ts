/** GET /v1/audit (admin): every recorded event, newest first, filtered by entity or actor. */
import { http } from '@google-cloud/functions-framework';
import { listAudit } from '@taskman/shared/audit/audit';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.auditList.name,
  httpFunction(API.auditList, async ({ query }) => ({
    status: 200,
    body: await listAudit(query, appDeps()),
  })),
);

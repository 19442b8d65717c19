/** GET /v1/audit (admin): every recorded event, newest first, filtered by entity or actor. */
import { http } from '@google-cloud/functions-framework';
import { listAudit } from '@taskman/shared/events/audit';
import { appDeps } from '@taskman/shared/runtime/deps';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { API } from '../manifest.ts';

http(
  API.auditList.name,
  httpFunction(API.auditList, async ({ query }) => ({
    status: 200,
    body: await listAudit(query, appDeps()),
  })),
);

/** POST /v1/notifications/read-all: marks every notification of the caller read. */
import { http } from '@google-cloud/functions-framework';
import { markAllRead } from '@taskman/shared/notifications/notifications';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.notificationsReadAll.name,
  httpFunction(API.notificationsReadAll, async ({ principal }) => {
    await markAllRead({ actor: principal }, appDeps());
    return { status: 204 };
  }),
);

/** POST /v1/notifications/{id}/read: marks one of the caller's notifications read (404 otherwise). */
import { http } from '@google-cloud/functions-framework';
import { markRead } from '@taskman/shared/notifications/notifications';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.notificationsRead.name,
  httpFunction(API.notificationsRead, async ({ principal, params }) => {
    await markRead({ actor: principal, id: params.id }, appDeps());
    return { status: 204 };
  }),
);

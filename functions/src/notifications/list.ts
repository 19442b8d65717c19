/** GET /v1/notifications: the caller's notifications, newest first (`?unread=true`: unread only). */
import { http } from '@google-cloud/functions-framework';
import { listNotifications } from '@taskman/shared/notifications/notifications';
import { httpFunction } from '@taskman/shared/runtime/http-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';
import { API } from '../manifest.ts';

http(
  API.notificationsList.name,
  httpFunction(API.notificationsList, async ({ principal, query }) => ({
    status: 200,
    body: await listNotifications({ actor: principal, query }, appDeps()),
  })),
);

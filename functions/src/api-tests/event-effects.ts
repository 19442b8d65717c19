/**
 * What the event consumers leave behind, as the API suites read it: strict page schemas of
 * notifications and audit entries, and polling with a deadline (events arrive
 * asynchronously, in-process and through the Pub/Sub emulator's push subscriptions alike).
 */
import { AuditEntrySchema } from '@taskman/shared/domain/audit.schema';
import { pageSchema } from '@taskman/shared/domain/common.schema';
import { type Notification, NotificationSchema } from '@taskman/shared/domain/notification.schema';
import type { Account, ApiClient } from './client.ts';
import { expectOk, listAll, sleep } from './expectations.ts';

export const StrictNotification = NotificationSchema.strict();
export const NotificationPage = pageSchema(StrictNotification).strict();
export const StrictAuditEntry = AuditEntrySchema.strict();
export const AuditPage = pageSchema(StrictAuditEntry).strict();

/** How long an event may take to show its effect. */
export const EVENT_DEADLINE_MS = 20_000;

/** Polls `probe` until it returns a value, or fails naming `what` and the last state seen. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<{ value: T | undefined; seen: unknown }>,
  deadlineMs = EVENT_DEADLINE_MS,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let delay = 25;
  for (;;) {
    const { value, seen } = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`${what}: not seen within ${deadlineMs} ms; last seen ${JSON.stringify(seen)}`);
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
}

/** Every notification of `who`, newest first. */
export function notificationsOf(api: ApiClient, who: Pick<Account, 'token'>): Promise<Notification[]> {
  return listAll(api, who, '/v1/notifications', NotificationPage);
}

/** Waits until `who` has `count` notifications matching `match`; returns them. */
export function waitForNotifications(
  api: ApiClient,
  who: Pick<Account, 'token' | 'email'>,
  match: (n: Notification) => boolean,
  count = 1,
): Promise<Notification[]> {
  return eventually(`${count} matching notification(s) of ${who.email}`, async () => {
    const all = await notificationsOf(api, who);
    const found = all.filter(match);
    return { value: found.length >= count ? found : undefined, seen: all.map((n) => [n.type, n.entityId]) };
  });
}

/** The welcome notification of a freshly registered account (waiting for it). */
export async function welcomeOf(api: ApiClient, who: Account): Promise<Notification> {
  const [welcome] = await waitForNotifications(
    api,
    who,
    (n) => n.type === 'welcome' && n.entityId === who.uid,
  );
  return welcome!;
}

/** The first page of `/v1/audit` for `query`, as the admin `admin` reads it. */
export async function auditPage(api: ApiClient, admin: Pick<Account, 'token'>, query: string) {
  return expectOk(await api.call('GET', `/v1/audit?${query}`, { token: admin.token }), 200, AuditPage);
}

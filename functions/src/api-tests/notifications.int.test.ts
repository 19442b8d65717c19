/** Notifications made by the event consumers: welcome, assignment, status change, read, read-all: integration run (HTTP to the local stack; events through the Pub/Sub emulator's push subscriptions). */
import { notificationsSuite } from './notifications.suite.ts';
import { useStackApi } from './use-stack.ts';

notificationsSuite(useStackApi());

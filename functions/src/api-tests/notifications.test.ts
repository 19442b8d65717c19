/** Notifications made by the event consumers: welcome, assignment, status change, read, read-all: in-process run (functions on in-memory adapters, events delivered to the consumers). */
import { notificationsSuite } from './notifications.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

notificationsSuite(useInProcessApi());

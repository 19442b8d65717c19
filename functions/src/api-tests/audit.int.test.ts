/** The audit trail: the admin's list of a task's events, filters, pages, 403 for members: integration run (HTTP to the local stack; events through the Pub/Sub emulator's push subscriptions). */
import { auditSuite } from './audit.suite.ts';
import { useStackApi } from './use-stack.ts';

auditSuite(useStackApi());

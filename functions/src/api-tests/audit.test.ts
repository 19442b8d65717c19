/** The audit trail: the admin's list of a task's events, filters, pages, 403 for members: in-process run (functions on in-memory adapters, events delivered to the consumers). */
import { auditSuite } from './audit.suite.ts';
import { useInProcessApi } from './use-in-process.ts';

auditSuite(useInProcessApi());

/** auditTaskEvents, on `task-events`: one audit entry per envelope, applied once. */
import { auditConsumer } from '@taskman/shared/audit/audit';
import { consumerEntry } from '@taskman/shared/runtime/event-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';

consumerEntry('auditTaskEvents', auditConsumer(), appDeps);

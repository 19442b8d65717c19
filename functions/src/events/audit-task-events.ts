/** auditTaskEvents, on `task-events`: one audit entry per envelope, applied once. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { auditConsumer } from '@taskman/shared/events/audit';
import { consumerFunction } from '@taskman/shared/runtime/event-function';

cloudEvent('auditTaskEvents', consumerFunction('auditTaskEvents', auditConsumer()));

/** auditUserEvents, on `user-events`: one audit entry per envelope, applied once. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { auditConsumer } from '@taskman/shared/audit/audit';
import { consumerFunction } from '@taskman/shared/runtime/event-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';

cloudEvent('auditUserEvents', consumerFunction('auditUserEvents', auditConsumer(), appDeps));

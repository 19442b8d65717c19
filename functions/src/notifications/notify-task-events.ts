/** notifyTaskEvents, on `task-events`: the in-app notifications its events call for, created once. */
import { notifyConsumer } from '@taskman/shared/notifications/notifications';
import { consumerEntry } from '@taskman/shared/runtime/event-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';

consumerEntry('notifyTaskEvents', notifyConsumer(), appDeps);

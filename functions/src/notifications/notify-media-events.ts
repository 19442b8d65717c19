/** notifyMediaEvents, on `media-events`: the in-app notifications its events call for, created once. */
import { cloudEvent } from '@google-cloud/functions-framework';
import { notifyConsumer } from '@taskman/shared/notifications/notifications';
import { consumerFunction } from '@taskman/shared/runtime/event-function';
import { appDeps } from '@taskman/shared/wiring/app-deps';

cloudEvent('notifyMediaEvents', consumerFunction('notifyMediaEvents', notifyConsumer(), appDeps));

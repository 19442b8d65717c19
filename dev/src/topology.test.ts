/** The planned topology: which topics and push subscriptions the manifest asks for. */
import type { FunctionSpec, Trigger } from '@taskman/functions/manifest';
import { MANIFEST } from '@taskman/functions/manifest';
import { TOPICS } from '@taskman/shared/domain/event.schema';
import { describe, expect, it } from 'vitest';
import { eventPath, planTopology, storageTopic } from './topology.ts';

function fn(name: string, trigger: Trigger, timeoutSeconds = 60): FunctionSpec {
  return { name, entry: name, trigger, memory: '256Mi', timeoutSeconds, secrets: [], env: {} };
}

describe('planTopology', () => {
  it('creates every event topic and one push subscription per event function', () => {
    const plan = planTopology(
      [
        fn('tasksGet', { kind: 'http', method: 'GET', path: '/v1/tasks/{id}' }),
        fn('notifyOnTask', { kind: 'pubsub', topic: 'task-events' }, 120),
        fn('relay', { kind: 'pubsub', topic: 'relay-tick', schedule: '* * * * *' }, 1200),
      ],
      'demo-taskman',
      'http://127.0.0.1:3456',
    );
    expect(plan.topics).toEqual([...new Set([...TOPICS, 'relay-tick'])].sort());
    expect(plan.notifications).toEqual([]);
    expect(plan.subscriptions).toEqual([
      {
        name: 'notifyOnTask-push',
        topic: 'task-events',
        function: 'notifyOnTask',
        endpoint: 'http://127.0.0.1:3456/_events/notifyOnTask/projects/demo-taskman/topics/task-events',
        ackDeadlineSeconds: 120,
      },
      {
        name: 'relay-push',
        topic: 'relay-tick',
        function: 'relay',
        endpoint: 'http://127.0.0.1:3456/_events/relay/projects/demo-taskman/topics/relay-tick',
        ackDeadlineSeconds: 600,
      },
    ]);
  });

  it('covers every pubsub and storage function of the real manifest', () => {
    const plan = planTopology(MANIFEST, 'demo-taskman', 'http://127.0.0.1:3000');
    const eventFunctions = MANIFEST.filter((s) => s.trigger.kind !== 'http').map((s) => s.name);
    expect(plan.subscriptions.map((s) => s.function)).toEqual(eventFunctions);
    for (const topic of TOPICS) expect(plan.topics).toContain(topic);
    expect(plan.topics).toContain('gcs-media-bucket');
    const processUpload = plan.subscriptions.find((s) => s.function === 'processUpload');
    expect(processUpload?.topic).toBe('gcs-media-bucket');
    expect(plan.notifications).toEqual([
      { bucket: 'media', topic: 'gcs-media-bucket', eventTypes: ['OBJECT_FINALIZE'] },
    ]);
  });

  it('gives each storage function its own subscription on its bucket topic, and the bucket the event types they need', () => {
    const plan = planTopology(
      [
        fn('onUpload', { kind: 'storage', event: 'finalized', bucket: 'media' }, 120),
        fn('onRemove', { kind: 'storage', event: 'deleted', bucket: 'media' }),
        fn('onUploadToo', { kind: 'storage', event: 'finalized', bucket: 'media' }),
      ],
      'demo-taskman',
      'http://127.0.0.1:3456',
    );
    expect(storageTopic('media')).toBe('gcs-media-bucket');
    expect(plan.topics).toContain('gcs-media-bucket');
    expect(plan.subscriptions.map((s) => [s.name, s.topic, s.endpoint, s.ackDeadlineSeconds])).toEqual([
      [
        'onUpload-push',
        'gcs-media-bucket',
        'http://127.0.0.1:3456/_events/onUpload/projects/demo-taskman/topics/gcs-media-bucket',
        120,
      ],
      [
        'onRemove-push',
        'gcs-media-bucket',
        'http://127.0.0.1:3456/_events/onRemove/projects/demo-taskman/topics/gcs-media-bucket',
        60,
      ],
      [
        'onUploadToo-push',
        'gcs-media-bucket',
        'http://127.0.0.1:3456/_events/onUploadToo/projects/demo-taskman/topics/gcs-media-bucket',
        60,
      ],
    ]);
    expect(plan.notifications).toEqual([
      { bucket: 'media', topic: 'gcs-media-bucket', eventTypes: ['OBJECT_DELETE', 'OBJECT_FINALIZE'] },
    ]);
  });

  it('builds the path functions-framework reads the topic from', () => {
    expect(eventPath('outboxRelay', 'p', 't')).toBe('/_events/outboxRelay/projects/p/topics/t');
  });
});

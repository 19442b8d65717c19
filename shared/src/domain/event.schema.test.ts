/**
 * The typed envelope: a valid envelope of each type parses unchanged, what consumers rely
 * on is required, an unknown type is refused, and data fields nobody knows yet are kept
 * (forward compatibility, and the audit trail keeps the data as it came).
 */
import { describe, expect, it } from 'vitest';
import { malformedData, testEvent, testTask } from '../testing/messages.ts';
import {
  type EventData,
  EventEnvelopeSchema,
  type EventType,
  EventTypeSchema,
  isWellFormed,
} from './event.schema.ts';

const VARIANT = { name: 'thumb', width: 200, height: 150, contentType: 'image/jpeg', size: 1234 };

const VALID: { [T in EventType]: EventData<T> } = {
  'task.created': { task: testTask() },
  'task.updated': {
    task: testTask({ status: 'IN_PROGRESS', version: 2 }),
    changedFields: ['status'],
    previous: { status: 'PENDING' },
  },
  'task.deleted': { task: testTask() },
  'media.uploaded': {
    mediaId: 'm1',
    ownerId: 'user-1',
    bucket: 'media',
    object: 'uploads/user-1/m1/a.jpg',
    generation: '1767225600000000',
    size: 4096,
  },
  'media.processed': { mediaId: 'm1', ownerId: 'user-1', width: 800, height: 600, variants: [VARIANT] },
  'media.failed': { mediaId: 'm1', ownerId: 'user-1', reason: 'The image header cannot be read.' },
  'media.deleted': { mediaId: 'm1', ownerId: 'user-1', taskIds: ['task-1'] },
  'user.registered': { userId: 'user-1', email: 'ada@example.com', displayName: 'Ada' },
};

/** `value` as it arrives: through JSON. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/** The issues of parsing `value`, as `path: message`. */
function issues(value: unknown): string[] {
  const parsed = EventEnvelopeSchema.safeParse(wire(value));
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('EventEnvelopeSchema', () => {
  it.each(EventTypeSchema.options)('accepts a valid %s envelope, unchanged', (eventType) => {
    const envelope = testEvent(eventType, VALID[eventType]);
    expect(EventEnvelopeSchema.parse(wire(envelope))).toEqual(envelope);
    expect(isWellFormed(envelope)).toBe(true);
  });

  it('accepts the optimized variant of media.processed', () => {
    const envelope = testEvent('media.processed', { mediaId: 'm1', ownerId: 'user-1', optimized: VARIANT });
    expect(EventEnvelopeSchema.parse(wire(envelope))).toEqual(envelope);
  });

  it('refuses a task.created without its task: the event names no entity', () => {
    const envelope = testEvent('task.created', malformedData({}));
    expect(issues(envelope)).toEqual(['data.task: the event names no entity it is about']);
    expect(isWellFormed(envelope)).toBe(false);
  });

  it('refuses a task event whose task lacks fields of a task', () => {
    const envelope = testEvent('task.deleted', malformedData({ task: { id: 'task-1' } }));
    expect(issues(envelope)).toContain(
      'data.task.ownerId: Invalid input: expected string, received undefined',
    );
  });

  it('refuses a media.failed without its reason', () => {
    const envelope = testEvent('media.failed', malformedData({ mediaId: 'm1', ownerId: 'user-1' }));
    expect(issues(envelope)).toEqual(['data.reason: Invalid input: expected string, received undefined']);
    expect(isWellFormed(envelope)).toBe(false);
  });

  it('refuses an unknown event type', () => {
    const envelope = { ...testEvent('task.created', VALID['task.created']), eventType: 'task.exploded' };
    expect(issues(envelope)).toHaveLength(1);
    expect(issues(envelope)[0]).toMatch(/^eventType: /);
  });

  it('keeps data fields it does not know, at every level', () => {
    const envelope = {
      ...testEvent('task.updated', VALID['task.updated']),
      data: {
        ...VALID['task.updated'],
        task: { ...VALID['task.updated'].task, estimate: 3 },
        previous: { status: 'PENDING', estimate: 2 },
        reason: 'planning',
      },
    };
    expect(EventEnvelopeSchema.parse(wire(envelope)).data).toEqual(envelope.data);
    const processed = testEvent('media.processed', {
      ...VALID['media.processed'],
      variants: [{ ...VARIANT, format: 'jpeg' }],
      source: 'upload',
    });
    expect(EventEnvelopeSchema.parse(wire(processed)).data).toEqual(processed.data);
  });
});

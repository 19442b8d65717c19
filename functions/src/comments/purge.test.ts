/**
 * The comment purge's entry in-process: a deleted task's comments go; a malformed event is
 * acknowledged and kept in `deadLetters` with its reason, as every consumer does.
 */
import { randomUUID } from 'node:crypto';
import { DEAD_LETTERS, type DeadLetterDoc } from '@taskman/shared/application/consumer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessApi, inProcessApi } from '../testing/in-process.ts';
import { messagePublishedEvent } from '../testing/pubsub-events.ts';

let api: InProcessApi;
beforeAll(async () => {
  api = await inProcessApi();
});
afterAll(() => api.close());

describe('purgeTaskComments', () => {
  it('dead-letters a message that is not an event envelope, with the reason', async () => {
    const messageId = randomUUID();
    const { headers, body } = messagePublishedEvent(
      'demo-taskman',
      'task-events',
      { eventType: 'task.deleted', data: {} },
      { eventType: 'task.deleted' },
      messageId,
    );
    const reply = await api.call('POST', '/_events/purgeTaskComments', { headers, raw: body });
    expect(reply.status).toBeLessThan(300);
    const letter = await api.deps.store.get<DeadLetterDoc>(DEAD_LETTERS, `purgeTaskComments:${messageId}`);
    expect(letter?.data).toMatchObject({
      consumer: 'purgeTaskComments',
      code: 'REQUEST.VALIDATION',
      reason: expect.stringMatching(/not an event envelope/),
    });
  });
});

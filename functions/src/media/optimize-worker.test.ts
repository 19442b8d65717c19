/**
 * The optimize worker's entry in-process: a malformed command message is acknowledged and
 * kept in `deadLetters` with its reason, as a malformed event is; it is never retried.
 */
import { randomUUID } from 'node:crypto';
import { DEAD_LETTERS, type DeadLetterDoc } from '@taskman/shared/application/consumer';
import { COMMAND_TOPICS } from '@taskman/shared/domain/command.schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessApi, inProcessApi } from '../testing/in-process.ts';
import { messagePublishedEvent } from '../testing/pubsub-events.ts';

let api: InProcessApi;
beforeAll(async () => {
  api = await inProcessApi();
});
afterAll(() => api.close());

async function deliver(data: unknown): Promise<{ status: number; letter: DeadLetterDoc | undefined }> {
  const messageId = randomUUID();
  const { headers, body } = messagePublishedEvent(
    'demo-taskman',
    COMMAND_TOPICS.optimizeMedia,
    data,
    {},
    messageId,
  );
  const reply = await api.call('POST', '/_events/optimizeMedia', { headers, raw: body });
  const letter = await api.deps.store.get<DeadLetterDoc>(DEAD_LETTERS, `optimizeMedia:${messageId}`);
  return { status: reply.status, letter: letter?.data };
}

describe('optimizeMedia', () => {
  it('dead-letters a message that is not a command, with the reason', async () => {
    const { status, letter } = await deliver('{not json');
    expect(status).toBeLessThan(300);
    expect(letter).toMatchObject({
      consumer: 'optimizeMedia',
      code: 'REQUEST.VALIDATION',
      reason: expect.stringMatching(/not valid JSON/),
      data: '{not json',
    });
  });

  it('dead-letters a command whose data is not an optimize request, with the reason', async () => {
    const command = {
      id: randomUUID().replaceAll('-', ''),
      type: 'media.optimize',
      timestamp: new Date().toISOString(),
      correlationId: 'c1',
      actorId: null,
      data: { mediaId: 'm1', format: 'gif', quality: 80, maxWidth: null },
    };
    const { status, letter } = await deliver(command);
    expect(status).toBeLessThan(300);
    expect(letter).toMatchObject({
      consumer: 'optimizeMedia',
      code: 'REQUEST.VALIDATION',
      reason: expect.stringMatching(/format/),
    });
  });
});

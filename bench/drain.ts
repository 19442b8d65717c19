/**
 * How fast a backlog drains (the README's "Webhooks, secrets and retention" figures): the
 * outbox relay and the webhook retry sweep over N items left by a Pub/Sub outage, on the
 * real Firestore and Pub/Sub emulators (started here on free ports, stopped at the end),
 * each in one call with its production batch size and concurrency, against the same code
 * one item at a time (concurrency 1) measured side by side in the same run. The figure the
 * event age cut-off rests on is items per second (and so per minute, per 85 s tick).
 * Prints a table and, as its last line, JSON figures.
 *
 *   npx tsx bench/drain.ts [--count 2000] [--rounds 2]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { freePorts, startEmulators, stopEmulators } from '../dev/src/emulators.ts';
import { FirestoreDocumentStore } from '../shared/src/adapters/firestore/firestore-document-store.ts';
import { PubSubEventPublisher } from '../shared/src/adapters/pubsub/pubsub-event-publisher.ts';
import { OUTBOX, RELAY_DEFAULTS, recordOutboxEntry, relayOutbox } from '../shared/src/application/outbox.ts';
import { COMMAND_TOPICS } from '../shared/src/domain/command.schema.ts';
import { createLogger, setLogger } from '../shared/src/logging/logger.ts';
import { randomIds } from '../shared/src/ports/clock.ts';
import { testDelivery, testEvent, testTask } from '../shared/src/testing/messages.ts';
import { SWEEP_DEFAULTS, sweepDueDeliveries } from '../shared/src/webhooks/retry-sweep.ts';
import { parseWebhookConfig } from '../shared/src/webhooks/webhook-config.ts';
import { type DeliveryDoc, WEBHOOK_DELIVERIES } from '../shared/src/webhooks/webhook-store.ts';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '2' } },
});
const count = Number(values.count);
const rounds = Number(values.rounds);
const projectId = 'demo-taskman-bench';
setLogger(createLogger({ level: 'silent' }));

const logDir = mkdtempSync(join(tmpdir(), 'bench-drain-'));
const [firestore, pubsub, auth] = (await freePorts(3)) as [number, number, number];
const emulators = await startEmulators({ projectId, ports: { firestore, pubsub, auth }, logDir });
process.env.FIRESTORE_EMULATOR_HOST = emulators.firestore.host;
process.env.PUBSUB_EMULATOR_HOST = emulators.pubsub.host;
process.env.METADATA_SERVER_DETECTION = 'none';

const client = new PubSub({ projectId });
for (const topic of ['task-events', COMMAND_TOPICS.deliverWebhook]) await client.createTopic(topic);
const store = new FirestoreDocumentStore({ projectId, timeoutMs: 30_000 });
const publisher = new PubSubEventPublisher({ projectId, timeoutMs: 30_000 });
const clock = { now: () => new Date() };
const deps = { store, publisher, clock, ids: randomIds, serviceId: 'bench' };
const webhooks = parseWebhookConfig({});

/** Writes `n` outbox entries an hour old, 250 to a unit of work. */
async function fillOutbox(n: number): Promise<void> {
  const at = new Date(Date.now() - 3_600_000).toISOString();
  for (let done = 0; done < n; done += 250) {
    await store.transact(async (tx) => {
      for (let i = done; i < Math.min(n, done + 250); i++) {
        const id = randomIds.newId();
        const task = testTask({ id: `t${i}`, ownerId: 'u' });
        recordOutboxEntry(tx, { envelope: testEvent('task.created', { task }, { id, timestamp: at }) });
      }
    });
  }
}

/** Writes `n` pending deliveries due an hour ago. */
async function fillDeliveries(n: number): Promise<void> {
  const at = new Date(Date.now() - 3_600_000);
  for (let done = 0; done < n; done += 250) {
    await store.transact(async (tx) => {
      for (let i = done; i < Math.min(n, done + 250); i++) {
        const doc = testDelivery(randomIds.newId(), at);
        tx.set(WEBHOOK_DELIVERIES, doc.id, doc);
      }
    });
  }
}

async function timed(
  run: () => Promise<number>,
): Promise<{ items: number; seconds: number; perSecond: number }> {
  const t0 = performance.now();
  const items = await run();
  const seconds = (performance.now() - t0) / 1000;
  return { items, seconds, perSecond: items / seconds };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
const figures: Record<string, number[]> = { relay: [], relay1: [], sweep: [], sweep1: [] };
try {
  for (let round = 0; round < rounds; round++) {
    for (const concurrency of [RELAY_DEFAULTS.concurrency, 1]) {
      await fillOutbox(count);
      const r = await timed(
        async () => (await relayOutbox(deps, { concurrency, budgetMs: 600_000 })).published,
      );
      if (r.items !== count) throw new Error(`relay published ${r.items} of ${count}`);
      figures[concurrency === 1 ? 'relay1' : 'relay']!.push(r.perSecond);
      if ((await store.count(OUTBOX, [])) !== 0) throw new Error('the outbox is not empty');
    }
    for (const concurrency of [SWEEP_DEFAULTS.concurrency, 1]) {
      await fillDeliveries(count);
      const s = await timed(
        async () =>
          (await sweepDueDeliveries({ concurrency, budgetMs: 600_000 }, { ...deps, webhooks })).length,
      );
      if (s.items !== count) throw new Error(`sweep sent ${s.items} of ${count}`);
      figures[concurrency === 1 ? 'sweep1' : 'sweep']!.push(s.perSecond);
      // Settle them, so the next round's sweep finds only its own.
      await store.transact(async (tx) => {
        for (const d of await store.query<DeliveryDoc>({
          collection: WEBHOOK_DELIVERIES,
          where: [{ field: 'status', op: '==', value: 'pending' }],
          orderBy: [{ field: '__id__', direction: 'asc' }],
          limit: count,
        }))
          tx.set(WEBHOOK_DELIVERIES, d.id, { ...d.data, status: 'delivered', nextAttemptAt: null });
      });
    }
  }
} finally {
  await client.close();
  await stopEmulators(emulators);
  rmSync(logDir, { recursive: true, force: true });
}

const out = {
  command: `npx tsx bench/drain.ts --count ${count} --rounds ${rounds}`,
  count,
  rounds,
  relayPerSecond: median(figures.relay!),
  relayOneAtATimePerSecond: median(figures.relay1!),
  sweepPerSecond: median(figures.sweep!),
  sweepOneAtATimePerSecond: median(figures.sweep1!),
};
console.log(
  `| drain (${count} items, median of ${rounds}) | one at a time, items/s | batched, items/s | ratio |`,
);
console.log('|---|---|---|---|');
console.log(
  `| outbox relay | ${out.relayOneAtATimePerSecond.toFixed(0)} | ${out.relayPerSecond.toFixed(0)} | ${(out.relayPerSecond / out.relayOneAtATimePerSecond).toFixed(2)}× |`,
);
console.log(
  `| webhook retry sweep | ${out.sweepOneAtATimePerSecond.toFixed(0)} | ${out.sweepPerSecond.toFixed(0)} | ${(out.sweepPerSecond / out.sweepOneAtATimePerSecond).toFixed(2)}× |`,
);
console.log(JSON.stringify(out));
process.exit(0);

/**
 * Webhooks as the API suites use them: strict schemas of the webhook answers, registering
 * one, listing them all, and a local receiver (node:http on 127.0.0.1, an ephemeral port)
 * that records every request and answers with the status the test sets.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pageSchema } from '@taskman/shared/domain/common.schema';
import { CreatedWebhookSchema, WebhookSchema } from '@taskman/shared/domain/webhook.schema';
import type { Account, ApiClient } from './client.ts';
import { expectOk, listAll } from './expectations.ts';

export const StrictWebhook = WebhookSchema.strict();
export const StrictCreatedWebhook = CreatedWebhookSchema.strict();
export const WebhookPage = pageSchema(StrictWebhook).strict();

/** Registers a webhook of `who` (by default a receiver that does not exist, for `task.created`). */
export async function createWebhook(
  api: ApiClient,
  who: Pick<Account, 'token'>,
  body: { url: string; events: string[] } = { url: 'http://127.0.0.1:9/hook', events: ['task.created'] },
) {
  return expectOk(
    await api.call('POST', '/v1/webhooks', { token: who.token, body }),
    201,
    StrictCreatedWebhook,
  );
}

/** Every webhook of `who`, newest first. */
export function webhooksOf(api: ApiClient, who: Pick<Account, 'token'>) {
  return listAll(api, who, '/v1/webhooks', WebhookPage);
}

/** One request the receiver got. */
export interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  /** Its URL, with `path`. */
  url(path?: string): string;
  hits: Hit[];
  /** The status it answers with (default 204). */
  status: number;
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1 (the only address tests may reach). */
export async function startReceiver(): Promise<Receiver> {
  const hits: Hit[] = [];
  const receiver = { hits, status: 204 } as Receiver;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  receiver.url = (path = '/hook') => `http://127.0.0.1:${port}${path}`;
  receiver.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return receiver;
}

/** Log lines are Cloud Logging JSON, carry the request's ids and trace, and never a secret. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseTrace, runWithContext } from './context.ts';
import { createLogger } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('logging', () => {
  it('writes severity, message, time, request and correlation ids and the trace', async () => {
    const { lines, logger } = capture();
    runWithContext(
      {
        requestId: 'r1',
        correlationId: 'c1',
        functionName: 'tasksGet',
        ...parseTrace('demo-p', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', undefined),
      },
      () => logger.warn({ event: 'x' }, 'hello'),
    );
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({
      severity: 'WARNING',
      message: 'hello',
      requestId: 'r1',
      correlationId: 'c1',
      function: 'tasksGet',
      'logging.googleapis.com/trace': 'projects/demo-p/traces/0af7651916cd43dd8448eb211c80319c',
      'logging.googleapis.com/spanId': 'b7ad6b7169203331',
    });
    expect(typeof lines[0]?.time).toBe('string');
  });

  it('redacts passwords, tokens, secrets and authorization headers', async () => {
    const { lines, logger } = capture();
    logger.info(
      {
        password: 'hunter22',
        body: { password: 'p', idToken: 'eyJ', refreshToken: 'r' },
        headers: { authorization: 'Bearer eyJ' },
        secret: 's',
      },
      'payload',
    );
    await new Promise((r) => setImmediate(r));
    const text = JSON.stringify(lines[0]);
    for (const secret of ['hunter22', 'eyJ', '"r"', '"s"', '"p"']) expect(text).not.toContain(secret);
  });

  it('reads X-Cloud-Trace-Context when there is no traceparent', () => {
    expect(parseTrace('p', undefined, '105445aa7843bc8bf206b12000100000/1;o=1')).toEqual({
      trace: 'projects/p/traces/105445aa7843bc8bf206b12000100000',
      spanId: '0000000000000001',
      traceparent: '00-105445aa7843bc8bf206b12000100000-0000000000000001-01',
    });
    expect(parseTrace('p', 'garbage', undefined)).toEqual({});
  });
});

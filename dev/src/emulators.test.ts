/**
 * What emulators.ts says when something is missing, checked against stand-in `gcloud` and
 * `java` scripts on a PATH of their own; plus the helpers that need no emulator.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkPrerequisites,
  EmulatorStartError,
  freePort,
  freePorts,
  javaMajor,
  PrerequisiteError,
  reuseFromEnv,
  startEmulators,
} from './emulators.ts';

const ALL_COMPONENTS = {
  'Google Cloud SDK': '528.0.0',
  beta: '2025',
  'cloud-firestore-emulator': '1',
  'pubsub-emulator': '1',
};

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A PATH holding only the given stand-ins. */
function fakePath(tools: { gcloud?: Record<string, string>; java?: string }): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'taskman-prereq-'));
  dirs.push(dir);
  const script = (name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  // Shell builtins only: the PATH holds nothing else.
  if (tools.gcloud) script('gcloud', `printf '%s\\n' '${JSON.stringify(tools.gcloud)}'`);
  if (tools.java) script('java', `echo 'openjdk version "${tools.java}" 2025-04-15' >&2`);
  return { PATH: dir };
}

async function messageOf(run: Promise<unknown>): Promise<string> {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PrerequisiteError);
  const message = (error as Error).message;
  expect(message).not.toContain('\n');
  return message;
}

describe('checkPrerequisites', () => {
  it('passes when gcloud, its components, java and firebase-tools are there', async () => {
    const env = fakePath({ gcloud: ALL_COMPONENTS, java: '17.0.15' });
    await expect(checkPrerequisites(['firestore', 'pubsub', 'auth'], { env })).resolves.toBeUndefined();
  });

  it('says to install the Google Cloud CLI when gcloud is missing', async () => {
    const env = fakePath({ java: '17.0.15' });
    expect(await messageOf(checkPrerequisites(['firestore'], { env }))).toMatch(
      /^gcloud not found: install the Google Cloud CLI/,
    );
  });

  it('says to install Java when java is missing or too old', async () => {
    expect(
      await messageOf(checkPrerequisites(['pubsub'], { env: fakePath({ gcloud: ALL_COMPONENTS }) })),
    ).toMatch(/^java not found: install Java 17 or newer/);
    const old = fakePath({ gcloud: ALL_COMPONENTS, java: '1.8.0_402' });
    expect(await messageOf(checkPrerequisites(['pubsub'], { env: old }))).toMatch(/^java 8 is too old/);
  });

  it('names the gcloud component to install', async () => {
    const { 'cloud-firestore-emulator': _f, ...noFirestore } = ALL_COMPONENTS;
    const env = fakePath({ gcloud: noFirestore, java: '17' });
    expect(await messageOf(checkPrerequisites(['firestore', 'pubsub'], { env }))).toBe(
      'The Firestore emulator is not installed: run `gcloud components install cloud-firestore-emulator` (or `apt-get install google-cloud-cli-firestore-emulator`).',
    );
    const { beta: _b, ...noBeta } = ALL_COMPONENTS;
    expect(
      await messageOf(checkPrerequisites(['pubsub'], { env: fakePath({ gcloud: noBeta, java: '21' }) })),
    ).toMatch(/^The gcloud beta commands are not installed: run `gcloud components install beta`/);
  });

  it('does not ask for gcloud or java when only Auth is to start', async () => {
    await expect(checkPrerequisites(['auth'], { env: { PATH: '/nonexistent' } })).resolves.toBeUndefined();
  });

  it('says to run npm install when firebase-tools is missing', async () => {
    expect(await messageOf(checkPrerequisites(['auth'], { firebaseCli: null }))).toMatch(
      /^firebase-tools not found: run `npm install`/,
    );
    expect(
      await messageOf(checkPrerequisites(['auth'], { firebaseCli: '/nonexistent/firebase.js' })),
    ).toMatch(/^firebase-tools not found/);
  });
});

describe('helpers', () => {
  it('reads Java major versions old and new', () => {
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajor('java version "1.8.0_402"')).toBe(8);
    expect(javaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajor('nothing')).toBeUndefined();
  });

  it('hands out distinct free ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).toBe(5);
    const port = await freePort();
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reuses the emulators named by *_EMULATOR_HOST', () => {
    expect(reuseFromEnv({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:8080', PUBSUB_EMULATOR_HOST: ' ' })).toEqual({
      firestore: '127.0.0.1:8080',
    });
  });

  it('refuses to reuse an emulator that does not answer', async () => {
    const port = await freePort();
    const run = startEmulators({
      projectId: 'demo-taskman',
      ports: { firestore: 1, pubsub: 1, auth: 1 },
      reuse: { firestore: `127.0.0.1:${port}`, pubsub: `127.0.0.1:${port}`, auth: `127.0.0.1:${port}` },
      logDir: tmpdir(),
    });
    await expect(run).rejects.toThrow(EmulatorStartError);
    await expect(run).rejects.toThrow(
      `FIRESTORE_EMULATOR_HOST=127.0.0.1:${port}, but no Firestore emulator answers`,
    );
  });
});

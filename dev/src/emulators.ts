/**
 * The emulators of the local stack: Firestore and Pub/Sub from the Google Cloud CLI (they
 * run on the machine's Java 17, unlike firebase-tools' copies), Auth from firebase-tools.
 * Each starts on a given port in its own process group, writes its output to a log file,
 * and counts as started once it answers HTTP. An emulator already named by its
 * `*_EMULATOR_HOST` variable is reused instead, and never stopped by us.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { guardGroup, stopGroup } from './process-group.ts';

export type EmulatorName = 'firestore' | 'pubsub' | 'auth';

export const EMULATOR_NAMES: readonly EmulatorName[] = ['firestore', 'pubsub', 'auth'];

/** The variable each SDK reads to find its emulator. */
export const HOST_VARIABLE: Record<EmulatorName, string> = {
  firestore: 'FIRESTORE_EMULATOR_HOST',
  pubsub: 'PUBSUB_EMULATOR_HOST',
  auth: 'FIREBASE_AUTH_EMULATOR_HOST',
};

export const LABEL: Record<EmulatorName, string> = {
  firestore: 'Firestore',
  pubsub: 'Pub/Sub',
  auth: 'Auth',
};

const PORT_HINT: Record<EmulatorName, string> = {
  firestore: 'FIRESTORE_PORT',
  pubsub: 'PUBSUB_PORT',
  auth: 'AUTH_PORT',
};

export interface Emulator {
  name: EmulatorName;
  /** `host:port`, as the `*_EMULATOR_HOST` variables want it. */
  host: string;
  /** False when an emulator already running was reused. */
  startedHere: boolean;
  /** Where its output goes (only for emulators started here). */
  logFile: string | undefined;
  /** Stops it (and its java children); does nothing for a reused emulator. */
  stop(): Promise<void>;
}

/** Something to install before the stack can start. The message is one line. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

/** An emulator that did not come up; the message ends with the tail of its log. */
export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
}

export interface StartEmulatorsOptions {
  projectId: string;
  /** Port of each emulator to start. */
  ports: Record<EmulatorName, number>;
  /** Existing emulators to reuse instead of starting them (`host:port`). */
  reuse?: Partial<Record<EmulatorName, string>>;
  /** Directory of the log files; created if absent. */
  logDir: string;
  /** How long each emulator may take to answer. */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Called as soon as an emulator's process exists, so a caller interrupted mid-start can stop it. */
  onSpawn?: (emulator: Emulator) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `count` distinct TCP ports free on 127.0.0.1 right now (the OS picks them). All are held
 * open until every one is assigned, so the OS cannot hand out the same port twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.unref();
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
          }),
      ),
    );
  } finally {
    await Promise.all(
      servers.map(
        (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
      ),
    );
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The emulators named by `*_EMULATOR_HOST` in an environment. */
export function reuseFromEnv(env: NodeJS.ProcessEnv): Partial<Record<EmulatorName, string>> {
  const reuse: Partial<Record<EmulatorName, string>> = {};
  for (const name of EMULATOR_NAMES) {
    const host = env[HOST_VARIABLE[name]]?.trim();
    if (host) reuse[name] = host;
  }
  return reuse;
}

// ---------------------------------------------------------------------------------------
// Prerequisites

interface Run {
  ok: boolean;
  /** ENOENT: the command itself is missing. */
  missing: boolean;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      resolve({ ok: !error, missing: code === 'ENOENT', stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** The firebase-tools CLI script, or undefined when the package is not installed. */
export function firebaseCli(): string | undefined {
  try {
    const pkgPath = createRequire(import.meta.url).resolve('firebase-tools/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin?: Record<string, string> };
    const bin = pkg.bin?.firebase;
    return bin ? join(dirname(pkgPath), bin) : undefined;
  } catch {
    return undefined;
  }
}

const GCLOUD_COMPONENT: Partial<Record<EmulatorName, { id: string; apt: string }>> = {
  firestore: { id: 'cloud-firestore-emulator', apt: 'google-cloud-cli-firestore-emulator' },
  pubsub: { id: 'pubsub-emulator', apt: 'google-cloud-cli-pubsub-emulator' },
};

/** Java's major version from `java -version` output ("17.0.15", or "1.8.0_402" for 8). */
export function javaMajor(versionOutput: string): number | undefined {
  const match = versionOutput.match(/version "(\d+)(?:\.(\d+))?/);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

export interface PrerequisiteOptions {
  env?: NodeJS.ProcessEnv;
  /** The firebase-tools CLI script; `null` when it is not installed. */
  firebaseCli?: string | null;
}

/**
 * Checks that what the given emulators need is installed. Throws a PrerequisiteError whose
 * message is one line saying what to install.
 */
export async function checkPrerequisites(
  names: readonly EmulatorName[],
  options: PrerequisiteOptions = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const needsGcloud = names.filter((n) => GCLOUD_COMPONENT[n]);
  if (needsGcloud.length > 0) {
    const [gcloud, java] = await Promise.all([
      run('gcloud', ['version', '--format=json'], env),
      run('java', ['-version'], env),
    ]);
    if (gcloud.missing) {
      throw new PrerequisiteError(
        'gcloud not found: install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install) for the Firestore and Pub/Sub emulators.',
      );
    }
    if (java.missing) {
      throw new PrerequisiteError(
        'java not found: install Java 17 or newer (for example `apt-get install openjdk-17-jre-headless`) for the Firestore and Pub/Sub emulators.',
      );
    }
    const major = javaMajor(java.stderr + java.stdout);
    if (major !== undefined && major < 11) {
      throw new PrerequisiteError(
        `java ${major} is too old: install Java 17 or newer (for example \`apt-get install openjdk-17-jre-headless\`).`,
      );
    }
    let components: Record<string, string> = {};
    try {
      components = JSON.parse(gcloud.stdout) as Record<string, string>;
    } catch {
      throw new PrerequisiteError(
        `\`gcloud version\` failed (${(gcloud.stderr.trim().split('\n').pop() ?? '').slice(0, 200)}): repair the Google Cloud CLI installation.`,
      );
    }
    for (const name of needsGcloud) {
      const component = GCLOUD_COMPONENT[name];
      if (component && !(component.id in components)) {
        throw new PrerequisiteError(
          `The ${LABEL[name]} emulator is not installed: run \`gcloud components install ${component.id}\` (or \`apt-get install ${component.apt}\`).`,
        );
      }
    }
    if (names.includes('pubsub') && !('beta' in components)) {
      throw new PrerequisiteError(
        'The gcloud beta commands are not installed: run `gcloud components install beta` (the Pub/Sub emulator starts with `gcloud beta`).',
      );
    }
  }
  if (names.includes('auth')) {
    const cli = options.firebaseCli === undefined ? firebaseCli() : options.firebaseCli;
    if (!cli || !existsSync(cli)) {
      throw new PrerequisiteError(
        'firebase-tools not found: run `npm install` at the repository root (it is a devDependency) for the Auth emulator.',
      );
    }
  }
}

// ---------------------------------------------------------------------------------------
// Starting and stopping

/** The last lines of a log file, to show with a failure. */
export function logTail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** True when the emulator at `host` answers its root URL the way a ready one does. */
export async function answers(name: EmulatorName, host: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return false;
    if (name !== 'auth') return (await res.text()).trim() === 'Ok';
    const body = (await res.json()) as { authEmulator?: { ready?: boolean } };
    return body.authEmulator?.ready === true;
  } catch {
    return false;
  }
}

interface Launch {
  command: string;
  args: string[];
  cwd?: string;
}

async function launchOf(
  name: EmulatorName,
  port: number,
  projectId: string,
  logDir: string,
): Promise<Launch> {
  const hostPort = `--host-port=127.0.0.1:${port}`;
  if (name === 'firestore') return { command: 'gcloud', args: ['emulators', 'firestore', 'start', hostPort] };
  if (name === 'pubsub') {
    return {
      command: 'gcloud',
      args: ['beta', 'emulators', 'pubsub', 'start', hostPort, `--project=${projectId}`],
    };
  }
  const cli = firebaseCli();
  // checkPrerequisites has run, so this is only for the type checker.
  if (!cli)
    throw new PrerequisiteError('firebase-tools not found: run `npm install` at the repository root.');
  // A config of our own: the hub and logging ports default to 4400/4500, which a second
  // stack (npm start next to npm test) or a developer's full Firebase suite already holds.
  const [hub, logging] = await freePorts(2);
  // Beside the logs rather than in /tmp: nothing to clean up if we are killed, and its
  // firebase-debug.log is where one looks when the emulator misbehaves.
  const configDir = join(logDir, 'auth-emulator');
  mkdirSync(configDir, { recursive: true });
  const config = {
    emulators: {
      singleProjectMode: true,
      auth: { host: '127.0.0.1', port },
      hub: { host: '127.0.0.1', port: hub },
      logging: { host: '127.0.0.1', port: logging },
      ui: { enabled: false },
    },
  };
  const configFile = join(configDir, 'firebase.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  return {
    command: process.execPath,
    args: [cli, 'emulators:start', '--only', 'auth', '--project', projectId, '--config', configFile],
    // firebase-tools writes firebase-debug.log into its working directory.
    cwd: configDir,
  };
}

function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = { ...env, CLOUDSDK_CORE_DISABLE_PROMPTS: '1', NO_UPDATE_NOTIFIER: '1' };
  // firebase-tools treats these as "already running elsewhere" and would skip or warn.
  for (const name of EMULATOR_NAMES) delete clean[HOST_VARIABLE[name]];
  return clean;
}

async function startOne(
  name: EmulatorName,
  port: number,
  options: StartEmulatorsOptions,
  started: Emulator[],
): Promise<Emulator> {
  const host = `127.0.0.1:${port}`;
  mkdirSync(options.logDir, { recursive: true });
  const logFile = join(options.logDir, `${name}.log`);
  const launch = await launchOf(name, port, options.projectId, options.logDir);
  const fd = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env: childEnv(options.env ?? process.env),
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pgid = child.pid;
  if (pgid === undefined) {
    throw new EmulatorStartError(`${LABEL[name]}: could not run ${launch.command}.`);
  }
  const release = guardGroup(pgid);
  let stopped: Promise<void> | undefined;
  const emulator: Emulator = {
    name,
    host,
    startedHere: true,
    logFile,
    stop() {
      stopped ??= stopGroup(pgid).then(release);
      return stopped;
    },
  };
  // Recorded before it is ready, so a failure elsewhere still stops it.
  started.push(emulator);
  options.onSpawn?.(emulator);

  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
  });
  child.once('error', (error) => {
    exited = error.message;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (!(await answers(name, host))) {
    const problem =
      exited !== undefined
        ? `${exited} before answering`
        : Date.now() > deadline
          ? `did not answer on ${host} within ${Math.round((options.timeoutMs ?? 90_000) / 1000)} s`
          : undefined;
    if (problem) {
      await emulator.stop();
      const where = relative(process.cwd(), logFile) || logFile;
      throw new EmulatorStartError(
        `${LABEL[name]} emulator ${problem}. Last lines of ${where}:\n${logTail(logFile)}`,
      );
    }
    await sleep(250);
  }
  return emulator;
}

function reused(name: EmulatorName, host: string): Emulator {
  return { name, host, startedHere: false, logFile: undefined, stop: async () => {} };
}

/**
 * Starts (or reuses) the three emulators in parallel. If one fails, the others started
 * here are stopped before the error is thrown.
 */
export async function startEmulators(
  options: StartEmulatorsOptions,
): Promise<Record<EmulatorName, Emulator>> {
  const reuse = options.reuse ?? {};
  const toStart = EMULATOR_NAMES.filter((n) => !reuse[n]);
  for (const name of EMULATOR_NAMES) {
    const host = reuse[name];
    if (host && !(await answers(name, host))) {
      throw new EmulatorStartError(
        `${HOST_VARIABLE[name]}=${host}, but no ${LABEL[name]} emulator answers there. Start it, or unset ${HOST_VARIABLE[name]} to let the stack start one.`,
      );
    }
  }
  await checkPrerequisites(toStart, { env: options.env ?? process.env });
  // Before anything starts: a taken port is the common failure and needs no log to explain.
  for (const name of toStart) {
    const port = options.ports[name];
    if (!(await portIsFree(port))) {
      throw new EmulatorStartError(
        `${LABEL[name]}: port ${port} is in use. Stop what holds it, choose another port (${PORT_HINT[name]}), or set ${HOST_VARIABLE[name]}=127.0.0.1:${port} to reuse it if it is a ${LABEL[name]} emulator.`,
      );
    }
  }
  const started: Emulator[] = [];
  const results = await Promise.allSettled(
    EMULATOR_NAMES.map((name) => {
      const host = reuse[name];
      return host
        ? Promise.resolve(reused(name, host))
        : startOne(name, options.ports[name], options, started);
    }),
  );
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((e) => e.stop()));
    throw failure.reason;
  }
  const [firestore, pubsub, auth] = results.map((r) => (r as PromiseFulfilledResult<Emulator>).value);
  return { firestore: firestore!, pubsub: pubsub!, auth: auth! };
}

/** Stops every emulator started here, in parallel. */
export async function stopEmulators(emulators: Partial<Record<EmulatorName, Emulator>>): Promise<void> {
  await Promise.all(Object.values(emulators).map((e) => e?.stop()));
}

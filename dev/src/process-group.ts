/**
 * Child processes that must never outlive the stack. Each emulator runs in its own process
 * group (gcloud's Python starts a shell that starts java), so stopping one means signalling
 * the whole group, not just the pid we spawned. And because a parent can die without running
 * its cleanup (vitest interrupted, `kill -9`, a crash), every group we start is also
 * registered with a detached watchdog, `reaper.ts`, that kills what is left when our IPC
 * channel to it closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REAPER = fileURLToPath(new URL('./reaper.ts', import.meta.url));

/** Messages the reaper understands. */
export type ReaperMessage = { add: number } | { remove: number };
/** What the reaper says once it listens (messages sent before that could be lost). */
export const REAPER_READY = 'reaper-ready';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True while any process of the group led by `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    // EPERM means it exists but is not ours to signal: still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to the whole group, then SIGKILL to whatever is left after `graceMs`. */
export async function stopGroup(pgid: number, graceMs = 5_000): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(100);
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while (groupAlive(pgid) && Date.now() < killDeadline) await sleep(50);
}

let reaper: ChildProcess | undefined;
let reaperReady = false;
const queued: ReaperMessage[] = [];

function startReaper(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', REAPER, String(process.pid)], {
    cwd: REPO_ROOT,
    // Its own session: a Ctrl-C meant for us must not kill the watchdog first.
    detached: true,
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
  });
  // Neither the process nor its channel may keep our event loop (or vitest) alive.
  child.unref();
  child.channel?.unref();
  child.on('message', (message) => {
    if (message !== REAPER_READY) return;
    reaperReady = true;
    for (const m of queued.splice(0)) child.send(m);
  });
  child.on('error', () => {
    reaper = undefined;
  });
  return child;
}

function tell(message: ReaperMessage): void {
  if (!reaperReady) queued.push(message);
  else if (reaper?.connected) reaper.send(message);
}

/**
 * Registers a process group with the watchdog, which kills it if this process dies first.
 * Returns the function that unregisters it (call it once the group is stopped).
 */
export function guardGroup(pgid: number): () => void {
  reaper ??= startReaper();
  tell({ add: pgid });
  return () => tell({ remove: pgid });
}

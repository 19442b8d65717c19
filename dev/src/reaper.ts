/**
 * The watchdog started by `process-group.ts` (`node --import tsx reaper.ts <owner pid>`).
 * It holds the process groups its owner registered over IPC; when the channel closes —
 * the owner exited, cleanly or not — it kills every group still registered, then exits.
 * A clean owner has unregistered everything by then, so this is a no-op in the normal case.
 */
import { REAPER_READY, type ReaperMessage } from './process-group.ts';

const groups = new Set<number>();

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
}

process.on('message', (message: ReaperMessage) => {
  if ('add' in message) groups.add(message.add);
  else groups.delete(message.remove);
});

process.on('disconnect', () => {
  const left = [...groups].filter(alive);
  if (left.length === 0) process.exit(0);
  for (const pgid of left) signal(pgid, 'SIGTERM');
  // Emulators shut down in about a second; java that ignores SIGTERM gets SIGKILL.
  const deadline = Date.now() + 4_000;
  const timer = setInterval(() => {
    const remaining = left.filter(alive);
    if (remaining.length === 0 || Date.now() > deadline) {
      for (const pgid of remaining) signal(pgid, 'SIGKILL');
      clearInterval(timer);
      process.exit(0);
    }
  }, 100);
});

// Started without a channel (by hand): nothing to guard.
if (process.send) process.send(REAPER_READY);
else process.exit(0);

/**
 * The progress line of the batch commands (`migrate`, `rotate-keys`): a bar, a percentage,
 * done/total and what the command adds; redrawn in place on a terminal, printed every 10 %
 * otherwise (CI logs).
 */
export interface ProgressLine {
  /** Shows `done` of `total`, followed by `detail`. */
  update(done: number, total: number, detail: string): void;
  /** Ends the line on a terminal (call before printing anything else). */
  end(): void;
}

export function progressLine(): ProgressLine {
  const tty = process.stdout.isTTY;
  let lastLine = '';
  let lastPrinted = -1;
  return {
    update(done, total, detail) {
      const pct = total === 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
      const bar = `${'█'.repeat(Math.floor(pct / 4))}${'░'.repeat(25 - Math.floor(pct / 4))}`;
      const line = `${bar} ${pct}% ${done}/${total} · ${detail}`;
      if (tty) {
        process.stdout.write(`\r${line}`);
        lastLine = line;
      } else if (pct >= lastPrinted + 10 || done === 0) {
        lastPrinted = done === 0 ? -1 : pct;
        console.log(line);
      }
    },
    end() {
      if (tty && lastLine) process.stdout.write('\n');
      lastLine = '';
    },
  };
}

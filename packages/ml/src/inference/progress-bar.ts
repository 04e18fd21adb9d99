/**
 * Progress of long work on a stream (stderr). On a terminal: one line redrawn in place with \r, at most every
 * 100 ms. Elsewhere (a CI log, a file, a pipe), where \r would pile thousands of frames into one line: a plain line
 * now and then (every 10% of the work, and at most every 5 s otherwise), so logs show the run is alive without
 * flooding. `done()` ends the line on a terminal and prints the final count elsewhere.
 */
export class ProgressBar {
  private last = 0;
  private shown = false;
  private lastLoggedTenth = -1;
  private readonly interactive: boolean;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WritableStream = process.stderr,
    private readonly width = 30,
    interactive?: boolean,
  ) {
    this.interactive = interactive ?? (stream as NodeJS.WritableStream & { isTTY?: boolean }).isTTY === true;
  }

  update(done: number, total: number, unit = ''): void {
    const now = Date.now();
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const counts = `${done}/${total}${unit ? ` ${unit}` : ''}`;
    if (!this.interactive) {
      const tenth = Math.floor(fraction * 10);
      if (tenth === this.lastLoggedTenth && now - this.last < 5_000) return;
      this.lastLoggedTenth = tenth;
      this.last = now;
      this.stream.write(`${this.label.trimEnd()}: ${counts} (${Math.round(fraction * 100)}%)\n`);
      this.shown = done < total;
      return;
    }
    if (done < total && now - this.last < 100) return;
    this.last = now;
    const filled = Math.round(fraction * this.width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${counts}`);
    this.shown = true;
  }

  done(): void {
    if (this.shown && this.interactive) this.stream.write('\n');
    this.shown = false;
  }
}

/**
 * A one-line progress bar on a stream (stderr), redrawn in place with \r and throttled, so long runs show they are
 * alive without flooding logs. `done()` ends the line.
 */
export class ProgressBar {
  private last = 0;
  private shown = false;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WritableStream = process.stderr,
    private readonly width = 30,
  ) {}

  update(done: number, total: number, unit = ''): void {
    const now = Date.now();
    if (done < total && now - this.last < 100) return;
    this.last = now;
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const filled = Math.round(fraction * this.width);
    this.stream.write(
      `\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(this.width - filled)}] ${done}/${total}${unit ? ` ${unit}` : ''}`,
    );
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.stream.write('\n');
    this.shown = false;
  }
}

/**
 * A one-line spinner while the model or a tool keeps us waiting. It draws
 * only on a TTY; elsewhere every call does nothing.
 */
import type { TerminalStream } from './style.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const INTERVAL_MS = 80;

export class Spinner {
  private timer: ReturnType<typeof setInterval> | undefined;
  private frame = 0;
  private label = '';

  constructor(
    private readonly stream: TerminalStream,
    private readonly enabled: boolean,
  ) {}

  get active(): boolean {
    return this.timer !== undefined;
  }

  start(label: string): void {
    if (!this.enabled) return;
    this.label = label;
    if (this.timer) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), INTERVAL_MS);
    // A forgotten spinner must not keep the process alive.
    this.timer.unref();
  }

  /** Changes the label of a running spinner. */
  update(label: string): void {
    this.label = label;
  }

  /** Stops and erases the spinner line, leaving the cursor where it began. */
  stop(): void {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream.write('\r\x1b[K');
  }

  private draw(): void {
    const width = Math.max(10, (this.stream.columns ?? 80) - 4);
    const frame = FRAMES[this.frame++ % FRAMES.length];
    const text = `${frame} ${this.label}`;
    this.stream.write(`\r\x1b[K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
  }
}

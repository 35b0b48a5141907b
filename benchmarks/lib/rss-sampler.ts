import { clearInterval, setInterval } from 'node:timers';

/** Samples resident set size on an interval and keeps the peak. */
export class RssSampler {
  readonly #intervalMs: number;
  readonly #read: () => number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #peak = 0;
  #samples = 0;

  /**
   * @param intervalMs - sampling period. @defaultValue 20
   * @param read - the probe; injectable for tests. @defaultValue `process.memoryUsage.rss`
   */
  constructor(intervalMs = 20, read: () => number = () => process.memoryUsage.rss()) {
    this.#intervalMs = intervalMs;
    this.#read = read;
  }

  /** Takes a first sample and starts sampling. The timer is unref'd: it never keeps the process alive. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#peak = 0;
    this.#samples = 0;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Takes a last sample, stops, and returns the peak in bytes. */
  stop(): { readonly peakBytes: number; readonly samples: number } {
    if (this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
    this.#sample();
    return { peakBytes: this.#peak, samples: this.#samples };
  }

  #sample(): void {
    const rss = this.#read();
    this.#samples++;
    if (rss > this.#peak) this.#peak = rss;
  }
}

/**
 * A table in shared memory through which a thread pool and its workers agree on when each task
 * started and whether it should stop. Piscina starts its abort timer at submission
 * (piscinajs/piscina#869); troupe measures timeouts from this start stamp instead, without a
 * message per task: the worker stores one integer, the pool reads it when a deadline timer fires.
 *
 * Layout per slot: [state, started, abort, threadId]. `started` is milliseconds since the table's epoch,
 * truncated to int32: differences are exact for spans below 2^31 ms (~24.8 days), which bounds
 * every timeout.
 */
export class SlotTable {
  static readonly FIELDS = 4;
  static readonly IDLE = 0;
  static readonly QUEUED = 1;
  static readonly RUNNING = 2;
  /** The worker has its answer and is sending it. */
  static readonly ANSWERED = 3;

  readonly #cells: Int32Array;
  readonly #free: number[];

  /**
   * @param buffer - a SharedArrayBuffer of `size * FIELDS` int32 (the pool creates it; a worker gets it through workerData).
   * @param epoch - `Date.now()` when the pool created the table.
   */
  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly epoch: number,
  ) {
    this.#cells = new Int32Array(buffer);
    const size = this.#cells.length / SlotTable.FIELDS;
    this.#free = Array.from({ length: size }, (_, i) => size - 1 - i);
  }

  /** A new table of `size` slots. */
  static create(size: number, now = Date.now()): SlotTable {
    return new SlotTable(new SharedArrayBuffer(Math.max(1, size) * SlotTable.FIELDS * 4), now);
  }

  // ---- pool side ---------------------------------------------------------------------------

  /** Take a free slot for a task about to be submitted, or -1 when all are taken. */
  acquire(): number {
    const i = this.#free.pop();
    if (i === undefined) return -1;
    const at = i * SlotTable.FIELDS;
    Atomics.store(this.#cells, at + 2, 0);
    Atomics.store(this.#cells, at, SlotTable.QUEUED);
    return i;
  }

  release(slot: number): void {
    Atomics.store(this.#cells, slot * SlotTable.FIELDS, SlotTable.IDLE);
    this.#free.push(slot);
  }

  /** Whether the worker has started the task in `slot`. */
  started(slot: number): boolean {
    return Atomics.load(this.#cells, slot * SlotTable.FIELDS) >= SlotTable.RUNNING;
  }

  /** Whether the worker had its answer (so a death now is the answer failing to cross, not the task). */
  answered(slot: number): boolean {
    return Atomics.load(this.#cells, slot * SlotTable.FIELDS) === SlotTable.ANSWERED;
  }

  /** Milliseconds the task in `slot` has been running (0 when it has not started). */
  runningFor(slot: number, now = Date.now()): number {
    if (!this.started(slot)) return 0;
    return (this.#rel(now) - Atomics.load(this.#cells, slot * SlotTable.FIELDS + 1)) | 0;
  }

  /** The worker thread running the task in `slot` (0 before it started). */
  threadOf(slot: number): number {
    return this.started(slot) ? Atomics.load(this.#cells, slot * SlotTable.FIELDS + 3) : 0;
  }

  /** Ask the task in `slot` to stop (its `throwIfAborted` throws). */
  requestAbort(slot: number, code: 1 | 2): void {
    Atomics.store(this.#cells, slot * SlotTable.FIELDS + 2, code);
  }

  // ---- worker side -------------------------------------------------------------------------

  /** Record that the task in `slot` starts now, on thread `threadId`. */
  markStarted(slot: number, threadId: number, now = Date.now()): void {
    Atomics.store(this.#cells, slot * SlotTable.FIELDS + 1, this.#rel(now));
    Atomics.store(this.#cells, slot * SlotTable.FIELDS + 3, threadId);
    Atomics.store(this.#cells, slot * SlotTable.FIELDS, SlotTable.RUNNING);
  }

  /** Record that the task in `slot` has its answer. */
  markAnswered(slot: number): void {
    Atomics.store(this.#cells, slot * SlotTable.FIELDS, SlotTable.ANSWERED);
  }

  /** 0 = go on; 1 = timed out; 2 = cancelled. */
  abortRequested(slot: number): number {
    return Atomics.load(this.#cells, slot * SlotTable.FIELDS + 2);
  }

  #rel(now: number): number {
    return (now - this.epoch) | 0;
  }
}

/** Abort codes in the table. */
export const ABORT_TIMEOUT = 1;
export const ABORT_CANCEL = 2;

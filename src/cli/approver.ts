import type { RunHandle } from '../index.js';
import type { CliWritable, LineReader } from './io.js';

/** A step waiting for a human decision. */
export interface ApprovalRequest {
  readonly runId: string;
  readonly step: string;
  readonly prompt: string | undefined;
}

/** What the approver needs from the run command. */
export interface ApproverOptions {
  readonly reader: LineReader;
  /** Where prompts go (stderr, so `--json` output stays clean). */
  readonly out: CliWritable;
  /** Show a `> ` prompt (interactive terminals). */
  readonly showPrompt: boolean;
  /** Recorded as the approval's `by`. */
  readonly by: string;
  /** The handle of a run or sub-run by id. */
  readonly run: (runId: string) => RunHandle;
  /** A decision was applied. */
  readonly onDecided: (runId: string, step: string, approved: boolean) => void;
  /** Input ended while `request` was still waiting. */
  readonly onEof: (request: ApprovalRequest) => void;
}

const APPROVE = /^(?:approve|a|yes|y)(?:\s+(\S+))?$/i;
const REJECT = /^(?:reject|r|no|n)(?:\s+([\s\S]*))?$/i;

/**
 * Asks on stdin for each pending approval in turn: `approve` (`a`, `yes`) or `reject [reason]`
 * (`r`); `approve <step>` / `reject <step> [reason]` pick a step; anything else asks again.
 */
export class Approver {
  readonly #o: ApproverOptions;
  readonly #queue: ApprovalRequest[] = [];
  #busy = false;
  #closed = false;

  constructor(options: ApproverOptions) {
    this.#o = options;
  }

  /** Queue a request; the first one is asked at once. */
  request(req: ApprovalRequest): void {
    this.#queue.push(req);
    if (!this.#busy) void this.#loop();
  }

  /** Stop asking (the run is over). */
  close(): void {
    this.#closed = true;
  }

  async #loop(): Promise<void> {
    this.#busy = true;
    try {
      while (!this.#closed && this.#queue.length > 0) {
        const req = this.#queue[0]!;
        if (!this.#isPending(req)) {
          this.#queue.shift();
          continue;
        }
        this.#say(
          `run ${req.runId} is waiting for approval at step ${req.step}${sentence(req.prompt)} ` +
            'Type `approve` or `reject [reason]` and press Enter (or re-run with --auto-approve).',
        );
        if (!(await this.#ask(req))) return;
      }
    } finally {
      this.#busy = false;
    }
  }

  /** Read until a decision applies. False when input ended (or the approver was closed). */
  async #ask(req: ApprovalRequest): Promise<boolean> {
    for (;;) {
      if (this.#o.showPrompt) this.#o.out.write('> ');
      const line = await this.#o.reader.next();
      if (this.#closed) return false;
      if (line === null) {
        this.#o.onEof(req);
        return false;
      }
      const text = line.trim();
      if (text === '') continue;
      const a = APPROVE.exec(text);
      const r = a ? null : REJECT.exec(text);
      if (!a && !r) {
        this.#say(`please type \`approve\` or \`reject [reason]\` (waiting at step ${req.step})`);
        continue;
      }
      let target = req;
      let comment: string | undefined;
      if (a?.[1] !== undefined) {
        const named = this.#find(a[1]);
        if (!named) {
          this.#say(`no approval is pending at step ${a[1]} (waiting: ${this.#waiting()})`);
          continue;
        }
        target = named;
      } else if (r) {
        const rest = (r[1] ?? '').trim();
        const [word = '', ...more] = rest.split(/\s+/);
        const named = word === '' ? undefined : this.#find(word);
        target = named ?? req;
        comment = (named ? more.join(' ') : rest) || undefined;
      }
      this.#decide(target, a !== null, comment);
      if (target === req) return true;
      // Decided another step: keep asking about this one.
    }
  }

  #decide(req: ApprovalRequest, approved: boolean, comment: string | undefined): void {
    const run = this.#o.run(req.runId);
    const opts = { by: this.#o.by, ...(comment ? { comment } : {}) };
    const i = this.#queue.indexOf(req);
    if (i >= 0) this.#queue.splice(i, 1);
    try {
      if (approved) run.approve(req.step, opts);
      else run.reject(req.step, opts);
    } catch (e) {
      this.#say(`could not ${approved ? 'approve' : 'reject'} step ${req.step}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.#say(`${approved ? 'approved' : 'rejected'} step ${req.step}${comment ? ` (${comment})` : ''}`);
    this.#o.onDecided(req.runId, req.step, approved);
  }

  #find(step: string): ApprovalRequest | undefined {
    return this.#queue.find((q) => q.step === step && this.#isPending(q));
  }

  #waiting(): string {
    return this.#queue.map((q) => q.step).join(', ') || 'none';
  }

  #isPending(req: ApprovalRequest): boolean {
    try {
      return this.#o.run(req.runId).pendingApprovals().includes(req.step);
    } catch {
      return false;
    }
  }

  #say(line: string): void {
    this.#o.out.write(`${line}\n`);
  }
}

/** `: <prompt>` ending in punctuation (a prompt that is a question keeps its `?`), or `.`. */
function sentence(prompt: string | undefined): string {
  const p = prompt?.trim();
  if (!p) return '.';
  return `: ${/[.?!]$/.test(p) ? p : `${p}.`}`;
}

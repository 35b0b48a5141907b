import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { Dispatcher, policyNames, type Agent, type AgentDefinition } from '../agents/index.js';
import { Pools, type PoolStats } from '../pool/index.js';
import { TroupeError } from '../errors/index.js';
import type { Duration } from '../util/index.js';
import { LmdbStore, MemoryStore, genesisHash, verifyChain, type ChainCheck, type RunRecord, type Store } from '../store/index.js';
import { ResponseCache, type CompiledWorkflow, isPerStepEvent, safely, loadWorkflowFile, type LoadedWorkflow, RunCore, type RunEnv, type RunListenOptions, type WorkflowDefinition } from '../workflow/index.js';
import { AgentHost } from './agent-host.js';
import { recoverRuns, type RecoveryOutcome } from './recovery.js';
import { forkRun } from './fork.js';
import { collectGarbage, type GcReport } from './gc.js';
import { startActorTree, type ActorTree } from './tree.js';
import { WorkflowCatalog, type DefinitionSources } from './catalog.js';
import { loadAgentModule } from './modules.js';
import { RuntimeMetrics } from '../metrics/index.js';
import type { RunEvent, RunHandle, Runtime, RuntimeOptions, StartOptions } from './types.js';

const FINISHED_KEPT = 1_000;

interface RunListener {
  readonly fn: (e: RunEvent) => void;
  readonly perStep: boolean;
}

/**
 * Start a runtime: the actor tree (agents under their supervisors, runs as actors), the router,
 * the store. Stop it with `runtime.stop()`; afterwards the process can exit by itself.
 *
 * @throws TroupeError `TROUPE_RUNTIME_OPTIONS_INVALID`, `TROUPE_AGENT_DEFINITION_INVALID`, `TROUPE_WORKFLOW_INVALID`
 * @example
 * ```ts
 * const rt = await createRuntime({ agents: [echo], workflows: [hello] });
 * const run = await rt.start('hello', { name: 'Ada' });
 * console.log(await run.result());
 * await rt.stop();
 * ```
 */
export async function createRuntime(options: RuntimeOptions = {}): Promise<TroupeRuntime> {
  if (options.policy !== undefined && !policyNames.includes(options.policy)) {
    throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `policy must be one of ${policyNames.join(', ')}, got ${JSON.stringify(options.policy)}`, {
      data: { option: 'policy' },
    });
  }
  if (options.durability !== undefined && !['flush', 'commit', 'memory'].includes(options.durability)) {
    throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `durability must be one of flush, commit, memory, got ${JSON.stringify(options.durability)}`, {
      data: { option: 'durability' },
    });
  }
  const store = options.store ?? (options.dataDir === undefined ? undefined : await LmdbStore.open({ dir: options.dataDir, durability: options.durability ?? 'flush' }));
  const rt = new TroupeRuntime(options, store);
  try {
    for (const a of options.agents ?? []) rt.registerAgent(a);
    for (const w of options.workflows ?? []) rt.registerWorkflow(w);
    if (options.recover) await rt.recover();
  } catch (e) {
    await rt.stop();
    throw e;
  }
  return rt;
}

/** The runtime `createRuntime` returns. Wires the modules; holds none of their logic. */
export class TroupeRuntime implements Runtime {
  readonly store: Store;
  /** Responses of idempotent agents, in the store. */
  readonly cache: ResponseCache;
  /** The actor tree: `runtime` over `agents` and `workflows`. */
  readonly tree: ActorTree;
  readonly agents: AgentHost;
  readonly dispatcher: Dispatcher;
  readonly workflows: WorkflowCatalog;
  /** Worker agents' pools, created on first use, closed on stop. */
  readonly pools = new Pools();
  /** This runtime's own prom-client registry and the hooks that feed it. */
  readonly metrics: RuntimeMetrics;
  readonly #unobserveStore: (() => void) | undefined;
  readonly #stop = new AbortController();
  readonly #runs = new Map<string, RunCore>();
  readonly #finished = new Map<string, RunCore>();
  /** Runtime-wide run listeners, and whether each wants every step's routine events. */
  #listeners: readonly RunListener[] = [];
  // One function for the runs to call (they test `env.emit`, or `env.perStep`, before building an
  // event); a throwing listener does not stop the others.
  readonly #emitAll = (e: RunEvent): void => {
    const perStep = isPerStepEvent(e);
    for (const l of this.#listeners) if (!perStep || l.perStep) safely(l.fn, e);
  };
  readonly #env: { -readonly [K in keyof RunEnv]: RunEnv[K] };
  readonly #now: () => number;
  #stopping: Promise<void> | null = null;
  readonly #ownsStore: boolean;
  #drained: (() => void) | null = null;

  /** @param opened - a store `createRuntime` opened for `dataDir` (owned: closed on stop). */
  constructor(options: RuntimeOptions, opened?: Store) {
    this.#now = options.now ?? Date.now;
    this.store = options.store ?? opened ?? new MemoryStore();
    this.#ownsStore = options.store === undefined;
    this.metrics = new RuntimeMetrics(this);
    this.#unobserveStore = this.store.observe?.(this.metrics.store);
    this.cache = new ResponseCache(this.store, this.#now);
    this.tree = startActorTree({
      now: this.#now,
      onEvent: (e) => this.agents.handle(e),
      onEscalate: () => undefined, // agents' failures are contained below `agents`; nothing reaches the root
    });
    this.agents = new AgentHost(this.tree.agents, this.pools, { supervision: options.supervision });
    this.dispatcher = new Dispatcher({
      directory: this.agents,
      policy: options.policy ?? 'round-robin',
      now: this.#now,
      random: options.random ?? Math.random,
      signal: this.#stop.signal,
      observer: this.metrics.dispatch,
    });
    this.agents.roomListener = (id) => this.dispatcher.room(id);
    this.workflows = new WorkflowCatalog({
      hasAgent: (id) => this.agents.agent(id) !== undefined,
      hasCapability: (c) => this.agents.withCapability(c).length > 0,
    });
    this.#env = {
      dispatcher: this.dispatcher,
      store: this.store,
      now: this.#now,
      policy: options.policy ?? 'round-robin',
      runs: this.tree.workflows,
      autoApprove: options.autoApprove ?? false,
      emit: null, // #emitAll while someone listens
      perStep: false,
      finished: (run) => this.#onFinished(run),
      child: (parent, step, wf, input) => this.#child(parent, step, wf, input),
      cacheFor: (agentId) => {
        const ttlMs = this.agents.agent(agentId)?.idempotentTtlMs ?? null;
        return ttlMs === null ? null : { cache: this.cache, ttlMs };
      },
    };
  }

  registerAgent(agent: Agent | AgentDefinition): Agent {
    this.#assertRunning();
    return this.agents.register(agent);
  }

  registerWorkflow(definition: WorkflowDefinition): void {
    this.#assertRunning();
    this.workflows.register(definition);
  }

  /**
   * Load a workflow file (YAML or JSON): import its agent modules, register its agents, its
   * sub-workflow files and the workflow. Returns the workflow's name.
   *
   * @throws `TROUPE_WORKFLOW_LOAD_FAILED`, `TROUPE_WORKFLOW_INVALID`, `TROUPE_MODULE_LOAD_FAILED`
   */
  async load(file: string): Promise<string> {
    this.#assertRunning();
    const loaded = await loadWorkflowFile(file);
    await this.#registerModules(loaded);
    this.workflows.register(loaded.definition, sourcesOf(loaded));
    return loaded.definition.name;
  }

  async start(workflow: string | WorkflowDefinition, input: unknown = {}, options: StartOptions = {}): Promise<RunHandle> {
    this.#assertRunning();
    const wf = typeof workflow === 'string' ? this.workflows.get(workflow) : this.workflows.compile(workflow);
    const issues = wf.validateInput(input);
    if (issues) {
      throw new TroupeError('TROUPE_RUN_INPUT_INVALID', `input of workflow ${wf.name} is invalid: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, {
        data: { workflow: wf.name, issues },
      });
    }
    const id = options.runId ?? randomUUID();
    if (this.#runs.has(id) || this.#finished.has(id)) {
      throw new TroupeError('TROUPE_RUNTIME_OPTIONS_INVALID', `a run with id ${id} already exists`, { data: { runId: id } });
    }
    const record = this.#record(id, wf, input);
    const source = typeof workflow === 'string' ? this.workflows.fileOf(workflow) : undefined;
    if (source !== undefined) (record as { source?: string }).source = source;
    await this.store.createRun(record);
    const run = new RunCore(wf, this.#env, record, undefined, options.policy);
    this.#runs.set(id, run);
    return run.start();
  }

  /**
   * Resume every run the store holds that was not finished (after a crash or a stop): rebuilt
   * from its log, committed steps replayed, never re-executed. Register the workflows first.
   */
  recover(): Promise<RecoveryOutcome[]> {
    this.#assertRunning();
    return recoverRuns({
      store: this.store,
      env: this.#env,
      workflow: (name) => this.workflows.get(name),
      adopt: (run) => void this.#runs.set(run.id, run),
    });
  }

  /**
   * Recompute a run's hash chain from its genesis (definition hash and input) and check it
   * against the run record's head: a changed, removed, reordered or truncated entry is reported
   * with the first position that does not match.
   *
   * @throws `TROUPE_RUN_NOT_FOUND`
   */
  async verify(runId: string): Promise<{ readonly runId: string } & ChainCheck> {
    const record = await this.store.getRun(runId);
    if (!record) throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${runId} in the store`, { data: { runId } });
    const entries = await this.store.read(runId);
    return { runId, ...verifyChain(genesisHash(record.definitionHash, record.input), entries, { headSeq: record.headSeq, headHash: record.headHash }) };
  }

  /**
   * Time travel: start a new run from version `version` of an old one (its first entries kept,
   * re-chained), optionally with a changed input or a changed workflow; the old run is untouched.
   *
   * @throws `TROUPE_RUN_NOT_FOUND`, `TROUPE_RUNTIME_OPTIONS_INVALID`, `TROUPE_REPLAY_DIVERGED`
   */
  fork(runId: string, options: { version?: number; input?: unknown; workflow?: string | WorkflowDefinition; runId?: string } = {}): Promise<RunHandle> {
    this.#assertRunning();
    const { workflow, ...rest } = options;
    const wf = workflow === undefined ? undefined : typeof workflow === 'string' ? this.workflows.get(workflow) : this.workflows.compile(workflow);
    return forkRun(
      {
        store: this.store,
        env: this.#env,
        workflow: (name) => this.workflows.get(name),
        record: (id, wf, input) => this.#record(id, wf, input),
        adopt: (run) => void this.#runs.set(run.id, run),
      },
      runId,
      { ...rest, ...(wf ? { workflow: wf } : {}) },
    );
  }

  /**
   * Retention: remove finished runs (completed, failed, cancelled) last updated more than
   * `olderThan` ago, with their logs and snapshots. Runs in progress are never touched.
   *
   * @returns what was freed: runs and log entries removed
   * @throws `TROUPE_DURATION_INVALID`
   */
  async gc(options: { olderThan: Duration }): Promise<GcReport> {
    const report = await collectGarbage(this.store, { olderThan: options.olderThan, now: this.#now(), keep: (id) => this.#runs.has(id) });
    for (const id of report.runIds) this.#finished.delete(id);
    return report;
  }

  /** Hits and misses of the idempotent-response cache since this runtime started. */
  cacheStats(): { readonly hits: number; readonly misses: number } {
    return { ...this.cache.stats };
  }

  getRun(runId: string): RunHandle {
    const run = this.#runs.get(runId) ?? this.#finished.get(runId);
    if (!run) throw new TroupeError('TROUPE_RUN_NOT_FOUND', `no run with id ${runId} in this runtime`, { data: { runId } });
    return run;
  }

  /** Runs in progress now (running or waiting). */
  activeRuns(): RunHandle[] {
    return [...this.#runs.values()];
  }

  setWeight(agentId: string, weight: number): void {
    this.agents.registry.setWeight(agentId, weight);
  }

  poolStats(): PoolStats[] {
    return this.pools.stats();
  }

  /**
   * Observe every run's events (metrics, inspector); with `{ perStep: false }`, all but each step's
   * routine events, which then cost the runs nothing (see {@link RunListenOptions}). Returns the
   * unsubscribe function.
   */
  on(listener: (event: RunEvent) => void, options: RunListenOptions = {}): () => void {
    const entry = { fn: listener, perStep: options.perStep ?? true };
    this.#listened([...this.#listeners, entry]);
    return () => this.#listened(this.#listeners.filter((l) => l !== entry));
  }

  // A new list each time (an event being delivered goes on over the list it started with).
  #listened(listeners: readonly RunListener[]): void {
    this.#listeners = listeners;
    this.#env.emit = listeners.length === 0 ? null : this.#emitAll;
    this.#env.perStep = listeners.some((l) => l.perStep);
  }

  stop(options: { timeoutMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#doStop(options.timeoutMs ?? 5_000);
    return this.#stopping;
  }

  async #doStop(timeoutMs: number): Promise<void> {
    const busy = (): boolean => [...this.#runs.values()].some((r) => r.record.status === 'running');
    if (busy()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#drained = () => {
          if (!busy()) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
    }
    this.#drained = null;
    this.#stop.abort(new TroupeError('TROUPE_RUNTIME_STOPPED', 'the runtime is stopping'));
    this.dispatcher.wakeAll();
    for (const run of this.#runs.values()) run.interrupt();
    this.#runs.clear();
    this.tree.root.stop();
    // Runs were interrupted, so their tasks are cancelled: running ones get their grace, then their workers are terminated.
    await this.pools.close();
    this.#unobserveStore?.();
    this.metrics.close();
    // A store the caller passed in is the caller's to close (it may outlive this runtime).
    if (this.#ownsStore) await this.store.close();
  }

  #record(id: string, wf: CompiledWorkflow, input: unknown, parentRunId?: string): RunRecord {
    const now = this.#now();
    return {
      id,
      workflow: wf.name,
      definitionHash: wf.hash,
      input,
      status: 'running',
      createdAt: now,
      updatedAt: now,
      headSeq: 0,
      headHash: genesisHash(wf.hash, input),
      currentSteps: [],
      ...(parentRunId ? { parentRunId } : {}),
    };
  }

  #child(parent: RunCore, step: string, wf: CompiledWorkflow, _input: unknown): RunCore {
    const id = `${parent.id}/${step}:${randomUUID().slice(0, 8)}`;
    const compiledStep = parent.wf.steps.get(step)!;
    const inputPromise = compiledStep.call?.input ? compiledStep.call.input.evaluate(parent.log.view) : Promise.resolve(parent.log.view.input);
    // The child's input is resolved before its record is written; its log waits for both.
    const record = this.#record(id, wf, undefined, parent.id);
    const ready = inputPromise.then(async (input) => {
      (record as { input: unknown }).input = input;
      record.headHash = genesisHash(wf.hash, input);
      await this.store.createRun(record);
      return input;
    });
    const child = new RunCore(wf, this.#env, record, ready);
    child.onDone = (ok, value) => parent.childDone(step, ok, value, child);
    parent.adopt(child);
    this.#runs.set(id, child);
    return child;
  }

  #onFinished(run: RunCore): void {
    this.metrics.runFinished(run.workflow, run.record.status, run.record.updatedAt - run.record.createdAt);
    this.#runs.delete(run.id);
    this.#finished.set(run.id, run);
    if (this.#finished.size > FINISHED_KEPT) this.#finished.delete(this.#finished.keys().next().value!);
    this.#drained?.();
  }

  async #registerModules(loaded: LoadedWorkflow): Promise<void> {
    for (const file of loaded.agentModules) {
      for (const agent of await loadAgentModule(file)) {
        if (this.agents.agent(agent.id) !== agent) this.agents.register(agent);
      }
    }
    // Loading the same file again defines equal worker agents: they are the ones registered already.
    for (const agent of loaded.workerAgents) {
      const known = this.agents.agent(agent.id);
      if (known === undefined || !isDeepStrictEqual(known.definition, agent.definition)) this.agents.register(agent);
    }
    for (const sub of loaded.subWorkflows.values()) await this.#registerModules(sub);
  }

  #assertRunning(): void {
    if (this.#stopping) throw new TroupeError('TROUPE_RUNTIME_STOPPED', 'the runtime is stopping or stopped and takes no new work');
  }
}

function sourcesOf(loaded: LoadedWorkflow): DefinitionSources {
  const children = new Map<string, { definition: WorkflowDefinition; sources: DefinitionSources }>();
  for (const [ref, sub] of loaded.subWorkflows) children.set(ref, { definition: sub.definition, sources: sourcesOf(sub) });
  return { source: loaded.source, children };
}

/** The workflow shapes every system runs, by name, with the agent calls one run makes. */
export const WORKFLOWS = {
  /** a → b → c. */
  'sequential-3': { stepsPerRun: 3 },
  /** start → (b1 | b2 | b3 | b4) → join. */
  'fanout-4': { stepsPerRun: 6 },
} as const;

export type WorkflowName = keyof typeof WORKFLOWS;

export const WORKFLOW_NAMES = Object.keys(WORKFLOWS) as WorkflowName[];

/** One system's prepared workload for one workflow. */
export interface Workload {
  /** Starts run `i` and resolves when it has finished. `i` is unique per call on this workload. */
  startOne(i: number): Promise<unknown>;
  /** Releases what `prepare` acquired (a runtime, a checkpointer). */
  close(): Promise<void>;
}

/** A system under test: prepares a fresh workload per workflow, so systems share no state. */
export interface SystemUnderTest {
  readonly name: string;
  prepare(workflow: WorkflowName): Promise<Workload>;
}

import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
import type { SystemUnderTest, Workload, WorkflowName } from './workflows.js';

/** What a node appends to the state: the small object every system's agent returns. */
interface StepOutput {
  readonly node: string;
  readonly ok: true;
}

/**
 * `n` is the run's input; `out` collects every node's output. Its reducer concatenates, so the
 * four parallel writes of `fanout-4` merge in one superstep instead of raising
 * InvalidUpdateError.
 */
const State = Annotation.Root({
  n: Annotation<number>(),
  out: Annotation<StepOutput[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});

const node = (name: string) => (): { out: StepOutput[] } => ({ out: [{ node: name, ok: true }] });

function buildGraph(workflow: WorkflowName) {
  switch (workflow) {
    case 'sequential-3':
      return new StateGraph(State)
        .addNode('a', node('a'))
        .addNode('b', node('b'))
        .addNode('c', node('c'))
        .addEdge(START, 'a')
        .addEdge('a', 'b')
        .addEdge('b', 'c')
        .addEdge('c', END);
    case 'fanout-4':
      return new StateGraph(State)
        .addNode('start', node('start'))
        .addNode('b1', node('b1'))
        .addNode('b2', node('b2'))
        .addNode('b3', node('b3'))
        .addNode('b4', node('b4'))
        .addNode('join', node('join'))
        .addEdge(START, 'start')
        .addEdge('start', 'b1')
        .addEdge('start', 'b2')
        .addEdge('start', 'b3')
        .addEdge('start', 'b4')
        // A list of sources waits for all of them: the join runs once, after the four branches.
        .addEdge(['b1', 'b2', 'b3', 'b4'], 'join')
        .addEdge('join', END);
  }
}

/** Node calls one run makes, checked against the final state so a wrong topology fails loudly. */
const EXPECTED_OUT: Record<WorkflowName, number> = { 'sequential-3': 3, 'fanout-4': 6 };

function check(workflow: WorkflowName, state: { out: StepOutput[] }): void {
  if (state.out.length !== EXPECTED_OUT[workflow]) {
    throw new Error(`langgraph ${workflow}: expected ${EXPECTED_OUT[workflow]} node outputs, got ${state.out.length}`);
  }
}

/** LangGraph.js StateGraph compiled without a checkpointer: in-memory superstep execution only. */
export const langgraph: SystemUnderTest = {
  name: 'langgraph',
  async prepare(workflow): Promise<Workload> {
    const graph = buildGraph(workflow).compile();
    return {
      startOne: async (i) => check(workflow, await graph.invoke({ n: i })),
      close: async () => {},
    };
  },
};

/**
 * LangGraph.js StateGraph compiled with MemorySaver: a checkpoint per superstep, one thread per
 * run. Threads are kept, as a user of MemorySaver would keep them; a fresh saver per workload.
 */
export const langgraphMemorySaver: SystemUnderTest = {
  name: 'langgraph-memorysaver',
  async prepare(workflow): Promise<Workload> {
    const graph = buildGraph(workflow).compile({ checkpointer: new MemorySaver() });
    return {
      startOne: async (i) =>
        check(workflow, await graph.invoke({ n: i }, { configurable: { thread_id: `${workflow}-${i}` } })),
      close: async () => {},
    };
  },
};

/**
 * The worker-side tasks of benchmarks/pool-throughput.ts: the same module serves raw Piscina
 * (default export, dispatched by `name`) and troupe worker agents (named exports).
 */

/** Returns its input: the pool's own per-task cost. */
export function noop(input: unknown): unknown {
  return input;
}

/** Burns ~1 ms of CPU, then returns its input. */
export function cpu1ms(input: unknown): unknown {
  const end = performance.now() + 1;
  let x = 0;
  while (performance.now() < end) x++;
  return x >= 0 ? input : null;
}

/** Raw Piscina's handler: `{ task: 'noop' | 'cpu1ms', input }`. */
export default function run(msg: { task: 'noop' | 'cpu1ms'; input: unknown }): unknown {
  return msg.task === 'noop' ? noop(msg.input) : cpu1ms(msg.input);
}

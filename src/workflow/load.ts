import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { defineAgent, type Agent } from '../agents/index.js';
import { isTroupeError, TroupeError } from '../errors/index.js';
import { deepFreeze } from '../util/index.js';
import type { WorkflowDefinition, WorkflowIssue } from './types.js';
import { isError, isWorkflowPath, verifyWorkflow, workflowInvalid, type SourceLocator } from './verify.js';
import { escapePointer } from './schema.js';

/** A workflow file, parsed and verified (everything but the runtime's registry), with what it refers to. */
export interface LoadedWorkflow {
  /** The definition, deep-frozen. */
  readonly definition: WorkflowDefinition;
  /** Absolute path of the file. */
  readonly file: string;
  /** Absolute path of the file's directory. */
  readonly dir: string;
  /** Absolute paths of the `agents` entries that are module paths, resolved against `dir`. */
  readonly agentModules: readonly string[];
  /**
   * The worker agents declared inline in `agents`, in order: their `module` resolved against
   * `dir`, checked and normalised by `defineAgent` (not registered, their pools not started).
   */
  readonly workerAgents: readonly Agent[];
  /** Sub-workflows loaded from files, keyed by the `workflow:` value as written in this file. */
  readonly subWorkflows: ReadonlyMap<string, LoadedWorkflow>;
  /** Maps a JSON pointer into this file to a line and column (pass it to `assertValidWorkflow`). */
  readonly source: SourceLocator;
  /** Warnings found while verifying (errors throw instead). */
  readonly warnings: readonly WorkflowIssue[];
}

/** Workflow files larger than this are refused before parsing. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;

interface ParsedSource {
  readonly value: unknown;
  readonly source: SourceLocator;
}

/**
 * Parse and verify a workflow from text (YAML for `.yaml`/`.yml`, JSON for `.json`). Checks
 * everything that needs no runtime: schema, step references, reachability, cycle bounds,
 * expressions. Sub-workflow files and agent modules are not read.
 *
 * @param text - the file's contents.
 * @param file - the file's name: chooses the format and prefixes every message.
 * @returns the definition, deep-frozen.
 * @throws TroupeError `TROUPE_WORKFLOW_LOAD_FAILED` on a syntax error (naming `file:line:col`),
 *   `TROUPE_WORKFLOW_INVALID` with `data.issues` (each with path, line and column) otherwise.
 * @example
 * ```ts
 * const def = parseWorkflow('name: hello\nsteps:\n  greet: { agent: greeter }\n', 'hello.yaml');
 * ```
 */
export function parseWorkflow(text: string, file: string): WorkflowDefinition {
  return verifyParsed(parseSource(text, file)).definition;
}

/**
 * Load a workflow file, its sub-workflow files (recursively, each once, refusing cycles), the
 * absolute paths of its agent modules (not imported here) and the worker agents it declares
 * (defined with `defineAgent`: a bad option or a missing module file fails the load, located).
 *
 * @param path - the workflow file, absolute or relative to the working directory.
 * @throws TroupeError `TROUPE_WORKFLOW_LOAD_FAILED` when a file cannot be read or parsed,
 *   `TROUPE_WORKFLOW_INVALID` when a definition fails verification or sub-workflows form a cycle.
 */
export async function loadWorkflowFile(path: string): Promise<LoadedWorkflow> {
  return loadRecursive(resolve(path), [], new Map());
}

async function loadRecursive(file: string, chain: readonly string[], done: Map<string, LoadedWorkflow>): Promise<LoadedWorkflow> {
  const cached = done.get(file);
  if (cached) return cached;
  const text = await readText(file);
  const { definition, source, warnings } = verifyParsed(parseSource(text, file));
  const dir = dirname(file);
  const workerAgents = await defineWorkerAgents(definition, dir, source);
  const subWorkflows = new Map<string, LoadedWorkflow>();
  for (const [id, step] of Object.entries(definition.steps)) {
    if (!('workflow' in step) || !isWorkflowPath(step.workflow) || subWorkflows.has(step.workflow)) continue;
    const target = resolve(dir, step.workflow);
    const path = `/steps/${escapePointer(id)}/workflow`;
    const loop = [...chain, file];
    if (loop.includes(target)) {
      const cycle = [...loop.slice(loop.indexOf(target)), target].join(' -> ');
      throw workflowInvalid([locateIn(source, { path, message: `sub-workflows form a cycle: ${cycle}` })], file);
    }
    try {
      subWorkflows.set(step.workflow, await loadRecursive(target, loop, done));
    } catch (e) {
      const data = (e as TroupeError).data as { file?: string; stage?: string } | undefined;
      if (data?.stage !== 'read' || data.file !== target) throw e;
      const at = where(file, source, path);
      throw new TroupeError('TROUPE_WORKFLOW_LOAD_FAILED', `${at} ${path}: cannot load sub-workflow "${step.workflow}": ${(e as Error).message}`, {
        cause: e,
        data: { file, path, stage: 'sub-workflow' },
      });
    }
  }
  const loaded: LoadedWorkflow = Object.freeze({
    definition,
    file,
    dir,
    agentModules: Object.freeze((definition.agents ?? []).flatMap((a) => (typeof a === 'string' ? [resolve(dir, a)] : []))),
    workerAgents: Object.freeze(workerAgents),
    subWorkflows,
    source,
    warnings,
  });
  done.set(file, loaded);
  return loaded;
}

/**
 * Define the worker agents a file declares, so that a bad declaration fails the load rather than
 * the agent's first call. `defineAgent` names the field it rejects (`pool.maxQueue`,
 * `capabilities[0]`); it becomes a JSON pointer under the entry (`/agents/1/pool/maxQueue`).
 */
async function defineWorkerAgents(def: WorkflowDefinition, dir: string, source: SourceLocator): Promise<Agent[]> {
  const agents: Agent[] = [];
  const issues: WorkflowIssue[] = [];
  const declared = new Map<string, string>();
  for (const [i, entry] of (def.agents ?? []).entries()) {
    if (typeof entry === 'string') continue;
    const at = `/agents/${i}`;
    const first = declared.get(entry.id);
    if (first !== undefined) {
      issues.push(locateIn(source, { path: `${at}/id`, message: `agent "${entry.id}" is already declared at ${first}` }));
      continue;
    }
    declared.set(entry.id, at);
    const module = entry.module.startsWith('file:') ? entry.module : resolve(dir, entry.module);
    const missing = await missingFile(module);
    if (missing !== undefined) {
      issues.push(locateIn(source, { path: `${at}/module`, message: `cannot find worker module "${entry.module}": ${missing}` }));
      continue;
    }
    try {
      agents.push(defineAgent({ ...entry, module }));
    } catch (e) {
      if (!isTroupeError(e) || e.code !== 'TROUPE_AGENT_DEFINITION_INVALID') throw e;
      issues.push(locateIn(source, definitionIssue(e, at)));
    }
  }
  if (issues.length > 0) throw workflowInvalid(issues, source.file);
  return agents;
}

/** Why a worker module path is not a file, or `undefined` when it is (or is a URL `defineAgent` judges). */
async function missingFile(module: string): Promise<string | undefined> {
  let path: string;
  try {
    path = module.startsWith('file:') ? fileURLToPath(module) : module;
  } catch {
    return undefined;
  }
  try {
    return (await stat(path)).isFile() ? undefined : `${path} is not a file`;
  } catch {
    return `no such file ${path}`;
  }
}

/** A `TROUPE_AGENT_DEFINITION_INVALID` from `defineAgent` as an issue at the field it names. */
function definitionIssue(e: TroupeError, at: string): WorkflowIssue {
  const field = (e.data as { field?: unknown } | undefined)?.field;
  const segments = typeof field === 'string' && field !== '' ? field.replace(/\[(\d+)\]/g, '.$1').split('.') : [];
  const path = [at, ...segments.map(escapePointer)].join('/');
  // The message repeats the agent and the field, which the located path already names.
  let message = e.message.replace(/^agent (?:"[^"]*"|definition): /, '');
  if (typeof field === 'string' && message.startsWith(`${field}: `)) message = message.slice(field.length + 2);
  return { path, message };
}

async function readText(file: string): Promise<string> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message;
    throw new TroupeError('TROUPE_WORKFLOW_LOAD_FAILED', `${file}: cannot read workflow file: ${reason}`, { cause: e, data: { file, stage: 'read' } });
  }
  if (buf.byteLength > MAX_FILE_BYTES) {
    throw new TroupeError('TROUPE_WORKFLOW_LOAD_FAILED', `${file}: workflow file is larger than ${MAX_FILE_BYTES} bytes`, { data: { file, stage: 'read' } });
  }
  return buf.toString('utf8');
}

function verifyParsed(parsed: ParsedSource): { definition: WorkflowDefinition; source: SourceLocator; warnings: WorkflowIssue[] } {
  const issues = verifyWorkflow(parsed.value, undefined, parsed.source);
  if (issues.some(isError)) throw workflowInvalid(issues, parsed.source.file);
  return { definition: deepFreeze(parsed.value as WorkflowDefinition), source: parsed.source, warnings: issues };
}

function parseSource(text: string, file: string): ParsedSource {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') return parseJson(text, file);
  if (ext === '.yaml' || ext === '.yml') return parseYaml(text, file);
  throw new TroupeError('TROUPE_WORKFLOW_LOAD_FAILED', `${file}: unsupported workflow file extension "${ext}" (expected .yaml, .yml or .json)`, {
    data: { file, stage: 'parse' },
  });
}

function parseYaml(text: string, file: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    const at = pos ? `${file}:${pos.line}:${pos.col}` : file;
    const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new TroupeError('TROUPE_WORKFLOW_LOAD_FAILED', `${at}: invalid YAML: ${first}`, {
      cause: err,
      data: { file, stage: 'parse', line: pos?.line, column: pos?.col },
    });
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  return { value, source: locatorFor(file, () => ({ doc, lineCounter })) };
}

function parseJson(text: string, file: string): ParsedSource {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const pos = m ? offsetToLineCol(text, Number(m[1])) : undefined;
    const at = pos ? `${file}:${pos.line}:${pos.column}` : file;
    throw new TroupeError('TROUPE_WORKFLOW_LOAD_FAILED', `${at}: invalid JSON: ${(e as Error).message}`, {
      cause: e,
      data: { file, stage: 'parse', line: pos?.line, column: pos?.column },
    });
  }
  // JSON is YAML 1.2: the YAML parser gives node positions, built only when an issue needs one.
  return {
    value,
    source: locatorFor(file, () => {
      const lineCounter = new LineCounter();
      return { doc: parseDocument(text, { lineCounter }), lineCounter };
    }),
  };
}

function locatorFor(file: string, build: () => { doc: Document; lineCounter: LineCounter }): SourceLocator {
  let built: { doc: Document; lineCounter: LineCounter } | undefined;
  return {
    file,
    locate(pointer) {
      built ??= build();
      return locatePointer(built.doc, built.lineCounter, pointer);
    },
  };
}

/**
 * The position of the node a JSON pointer names: the key of a mapping entry, or the item of a
 * sequence. When the pointer goes further than the document (a missing property), the deepest
 * node that exists.
 */
function locatePointer(doc: Document, lc: LineCounter, pointer: string): { line: number; column: number } | undefined {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === seg);
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else break;
  }
  const { line, col } = lc.linePos(offset);
  return line === 0 ? { line: 1, column: col } : { line, column: col };
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null)?.range;
  return range ? range[0] : undefined;
}

function offsetToLineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

function locateIn(source: SourceLocator, issue: WorkflowIssue): WorkflowIssue {
  const pos = source.locate(issue.path);
  return pos ? { ...issue, line: pos.line, column: pos.column } : issue;
}

function where(file: string, source: SourceLocator, path: string): string {
  const pos = source.locate(path);
  return pos ? `${file}:${pos.line}:${pos.column}` : file;
}

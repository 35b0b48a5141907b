import { TroupeError } from '../errors/index.js';
import { compileWorkflow, type CompiledWorkflow, type WorkflowDefinition, assertValidWorkflow, definitionHash, isWorkflowPath, type SourceLocator, type VerifyEnv } from '../workflow/index.js';

/** Where a definition's `workflow:` file references resolve (set by the file loader). */
export interface DefinitionSources {
  readonly source?: SourceLocator;
  /** Sub-workflow definitions by the reference written in the parent. */
  readonly children?: ReadonlyMap<string, { definition: WorkflowDefinition; sources: DefinitionSources }>;
}

/**
 * The runtime's workflows: verified against the live registry, compiled once, found by name
 * (registered) or by definition object (ad hoc starts compile once per object).
 */
export class WorkflowCatalog {
  readonly #byName = new Map<string, CompiledWorkflow>();
  readonly #byDefinition = new WeakMap<WorkflowDefinition, CompiledWorkflow>();
  readonly #files = new Map<string, string>();

  constructor(private readonly env: VerifyEnv) {}

  /** Verify, compile and register under the definition's name (replacing an older version). */
  register(def: WorkflowDefinition, sources: DefinitionSources = {}): CompiledWorkflow {
    const compiled = this.compile(def, sources);
    this.#byName.set(def.name, compiled);
    if (sources.source) this.#files.set(def.name, sources.source.file);
    else this.#files.delete(def.name);
    return compiled;
  }

  /** Compile a definition (cached per object). @throws `TROUPE_WORKFLOW_INVALID` */
  compile(def: WorkflowDefinition, sources: DefinitionSources = {}, depth = 0): CompiledWorkflow {
    const cached = this.#byDefinition.get(def);
    if (cached) return cached;
    if (depth > 16) throw new TroupeError('TROUPE_WORKFLOW_INVALID', `workflow ${def.name}: sub-workflows nest deeper than 16`);
    assertValidWorkflow(def, { ...this.env, hasWorkflow: (n) => this.#byName.has(n) || sources.children?.has(n) === true }, sources.source ?? def.name);
    const compiled = compileWorkflow(def, definitionHash(def), (ref) => {
      const child = sources.children?.get(ref);
      if (child) return this.compile(child.definition, child.sources, depth + 1);
      const named = this.#byName.get(ref);
      if (named) return named;
      throw new TroupeError('TROUPE_WORKFLOW_NOT_FOUND', `workflow ${def.name}: sub-workflow ${ref} is ${isWorkflowPath(ref) ? 'a file that was not loaded' : 'not registered'}`, {
        data: { workflow: def.name, ref },
      });
    });
    this.#byDefinition.set(def, compiled);
    return compiled;
  }

  /** A registered workflow. @throws `TROUPE_WORKFLOW_NOT_FOUND` */
  get(name: string): CompiledWorkflow {
    const wf = this.#byName.get(name);
    if (!wf) {
      throw new TroupeError('TROUPE_WORKFLOW_NOT_FOUND', `no workflow named ${name} is registered (registered: ${[...this.#byName.keys()].join(', ') || 'none'})`, {
        data: { name },
      });
    }
    return wf;
  }

  /** The file a registered workflow was loaded from, if it was. */
  fileOf(name: string): string | undefined {
    return this.#files.get(name);
  }

  names(): string[] {
    return [...this.#byName.keys()];
  }
}

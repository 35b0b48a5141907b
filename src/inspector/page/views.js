// The panels, each drawn whole from the model (small enough to redraw on every change).

import { clock, duration, fill, h, hashCell, json } from './dom.js';
import { isFinished } from './model.js';

/** Rows of the runs table at most (newest first). */
const MAX_RUN_ROWS = 200;
/** Actors drawn at most. */
const MAX_ACTORS = 400;

/**
 * @param {HTMLElement} el
 * @param {import('./model.js').Model} model
 * @param {number} now
 */
export function renderRuns(el, model, now) {
  const runs = [...model.runs.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, MAX_RUN_ROWS);
  if (runs.length === 0) return fill(el, h('p', { class: 'empty' }, 'No runs yet.'));
  fill(
    el,
    h(
      'table',
      { class: 'runs' },
      h('thead', {}, h('tr', {}, h('th', {}, 'run'), h('th', {}, 'workflow'), h('th', {}, 'state'), h('th', {}, 'current step'), h('th', { class: 'num' }, 'duration'))),
      h(
        'tbody',
        {},
        runs.map((r) =>
          h(
            'tr',
            { dataset: { runId: r.id, status: r.status }, class: r.id === model.selected ? 'selected' : '', title: 'show its timeline and context log' },
            h('td', {}, h('code', {}, r.id), r.parentRunId ? h('span', { class: 'muted' }, ' ↳ sub-run') : null),
            h('td', { class: 'workflow' }, r.workflow),
            h('td', {}, status(r.status)),
            h('td', { class: 'current' }, r.pendingApprovals.length > 0 ? `${r.currentSteps.join(', ') || r.pendingApprovals.join(', ')} (approval)` : r.currentSteps.join(', ') || '–'),
            h('td', { class: 'num duration' }, duration((isFinished(r.status) ? r.updatedAt : now) - r.createdAt)),
          ),
        ),
      ),
    ),
    model.runs.size > runs.length ? h('p', { class: 'muted' }, `showing the newest ${runs.length} of ${model.runs.size}`) : null,
  );
}

/** @param {string} s */
function status(s) {
  return h('span', { class: `status status-${s}` }, s);
}

/**
 * The selected run's header and Gantt-like strip: one bar per step attempt (and per wait for
 * approval), from its start to its end, coloured by outcome.
 * @param {HTMLElement} el
 * @param {import('./model.js').Model} model
 * @param {number} now
 */
export function renderTimeline(el, model, now) {
  const run = model.selected === null ? undefined : model.runs.get(model.selected);
  if (!run) return fill(el, h('p', { class: 'empty' }, 'Select a run to see its timeline and context log.'));
  const bars = model.attempts.get(run.id) ?? [];
  const t0 = Math.min(run.createdAt, ...bars.map((b) => b.start));
  const t1 = Math.max(isFinished(run.status) ? run.updatedAt : now, ...bars.map((b) => b.end ?? now), t0 + 1);
  const span = t1 - t0;
  const pct = (/** @type {number} */ t) => `${((Math.max(t0, Math.min(t1, t)) - t0) / span) * 100}%`;
  fill(
    el,
    h(
      'div',
      { class: 'run-head' },
      h('strong', {}, h('code', {}, run.id)),
      ` · ${run.workflow} · `,
      status(run.status),
      ` · ${duration((isFinished(run.status) ? run.updatedAt : now) - run.createdAt)} · head #${run.headSeq} `,
      hashCell(run.headHash),
    ),
    bars.length === 0
      ? h('p', { class: 'empty' }, 'No steps yet.')
      : h(
          'div',
          { class: 'timeline' },
          bars.map((b) => {
            const end = b.end ?? now;
            const label = b.kind === 'approval' ? `${b.step} (approval)` : `${b.step}${b.attempt > 1 ? ` #${b.attempt}` : ''}`;
            const tip = `${label}${b.agent ? ` · ${b.agent}` : ''} · ${b.outcome} · ${duration(end - b.start)}${b.fromLog ? ' (began before the page watched)' : ''}`;
            return h(
              'div',
              { class: 'lane' },
              h('span', { class: 'lane-label', title: tip }, label),
              h(
                'span',
                { class: 'track' },
                h('span', { class: `bar outcome-${b.outcome}`, title: tip, dataset: { step: b.step, kind: b.kind, outcome: b.outcome }, style: { left: pct(b.start), width: `max(3px, calc(${pct(end)} - ${pct(b.start)}))` } }),
              ),
              h('span', { class: 'lane-time' }, duration(end - b.start)),
            );
          }),
          h('div', { class: 'axis' }, h('span', {}, clock(t0)), h('span', {}, `+${duration(span)}`)),
        ),
  );
}

/**
 * The selected run's context log, with the hash chain: a row whose `prevHash` is not the previous
 * row's hash is marked (the page shows the chain; `troupe verify` recomputes it).
 * @param {HTMLElement} el
 * @param {import('./model.js').Model} model
 * @param {Set<number>} expanded - seqs whose output is shown
 */
export function renderLog(el, model, expanded) {
  if (model.selected === null) return fill(el);
  if (model.entries.length === 0) return fill(el, h('p', { class: 'empty' }, 'The context log is empty.'));
  const rows = [];
  let prev;
  for (const e of model.entries) {
    const linked = prev === undefined ? e.seq === 1 || undefined : prev.seq === e.seq - 1 && prev.hash === e.prevHash;
    rows.push(
      h(
        'tr',
        { class: 'entry', dataset: { seq: String(e.seq) }, title: 'show the output' },
        h('td', { class: 'num' }, String(e.seq)),
        h('td', {}, e.kind),
        h('td', {}, e.step),
        h('td', {}, e.agent ?? '–'),
        h('td', {}, clock(e.at)),
        h('td', { class: 'num' }, duration(e.durationMs)),
        h('td', { class: 'hash-cell' }, hashCell(e.hash)),
        h('td', { class: 'hash-cell' }, hashCell(e.prevHash), linked === false ? h('span', { class: 'broken', title: "prevHash is not the previous entry's hash" }, ' ⚠') : null),
      ),
    );
    if (expanded.has(e.seq)) rows.push(h('tr', { class: 'output' }, h('td', { colspan: '8' }, h('pre', {}, json(e.output)))));
    prev = e;
  }
  fill(
    el,
    h(
      'table',
      { class: 'log' },
      h('thead', {}, h('tr', {}, ['seq', 'kind', 'step', 'agent', 'at', 'duration', 'hash', 'prevHash'].map((t) => h('th', {}, t)))),
      h('tbody', {}, rows),
    ),
  );
}

/**
 * @param {HTMLElement} el
 * @param {import('./model.js').Model} model
 * @param {number} now
 * @param {{ canAct: boolean, decisions: Map<string, { state: string, text: string }> }} ui
 */
export function renderApprovals(el, model, now, ui) {
  const pending = model.pendingApprovals();
  const done = [...ui.decisions.entries()].filter(([k]) => !pending.some((p) => decisionKey(p.run.id, p.step) === k));
  if (pending.length === 0 && done.length === 0) return fill(el, h('p', { class: 'empty' }, 'Nothing waits for approval.'));
  fill(
    el,
    h(
      'ul',
      { class: 'approvals' },
      pending.map((p) => {
        const d = ui.decisions.get(decisionKey(p.run.id, p.step));
        const busy = d?.state === 'sending';
        const data = { runId: p.run.id, step: p.step };
        return h(
          'li',
          { dataset: data },
          h('div', {}, h('strong', {}, p.step), ' of ', h('code', {}, p.run.id), ` (${p.run.workflow}) · waiting ${duration(now - p.since)}`),
          p.prompt ? h('div', { class: 'prompt' }, p.prompt) : null,
          h(
            'div',
            { class: 'actions' },
            h('button', { class: 'approve', dataset: { ...data, action: 'approve' }, disabled: !ui.canAct || busy, title: ui.canAct ? '' : 'needs the operator token' }, 'Approve'),
            h('button', { class: 'reject', dataset: { ...data, action: 'reject' }, disabled: !ui.canAct || busy, title: ui.canAct ? '' : 'needs the operator token' }, 'Reject'),
            d ? h('span', { class: `ack ack-${d.state}` }, d.text) : null,
          ),
        );
      }),
      done.map(([k, d]) => h('li', { class: 'decided', dataset: { key: k } }, h('span', { class: `ack ack-${d.state}` }, d.text))),
    ),
  );
}

/** @param {string} runId @param {string} step */
export function decisionKey(runId, step) {
  return `${runId} · ${step}`;
}

/** How a run's status shows as its actor's. */
const RUN_ACTOR_STATUS = { completed: 'done', failed: 'error', cancelled: 'stopped' };

/**
 * The runs' actors, drawn from the runs the page knows (the page follows the tree without them: at
 * thousands of runs a second they would be most of its events) — under the workflows supervisor,
 * or under their parent run.
 * @param {import('./model.js').Model} model
 */
function runActors(model) {
  const workflows = [...model.actors.values()].find((a) => a.kind === 'supervisor' && a.status === 'active' && /^workflows(#\d+)?$/.test(a.name));
  return [...model.runs.values()].map((r) => ({
    id: `run:${r.id}`,
    name: r.id,
    kind: 'run',
    status: isFinished(r.status) ? RUN_ACTOR_STATUS[r.status] : 'active',
    parent: r.parentRunId !== undefined ? `run:${r.parentRunId}` : workflows?.id,
  }));
}

/**
 * The actor tree, indented by parent, and the supervisors' latest decisions.
 * @param {HTMLElement} el
 * @param {import('./model.js').Model} model
 * @param {boolean} showStopped
 */
export function renderTree(el, model, showStopped) {
  /** @type {Map<string | undefined, any[]>} */
  const children = new Map();
  const visible = [...model.actors.values(), ...runActors(model)].filter((a) => showStopped || a.status === 'active');
  const ids = new Set(visible.map((a) => a.id));
  for (const a of visible) {
    const parent = a.parent !== undefined && ids.has(a.parent) ? a.parent : undefined;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(a);
  }
  const lastDecision = new Map();
  for (const d of [...model.decisions].reverse()) lastDecision.set(d.child, d);
  const lines = [];
  const walk = (/** @type {string | undefined} */ parent, /** @type {number} */ depth) => {
    for (const a of children.get(parent) ?? []) {
      if (lines.length >= MAX_ACTORS) return;
      const d = lastDecision.get(a.name) ?? lastDecision.get(a.name.replace(/#\d+$/, ''));
      lines.push(
        h(
          'li',
          { class: `actor actor-${a.status}`, dataset: { actorId: a.id, kind: a.kind }, style: { paddingLeft: `${depth * 1.1}em` } },
          h('span', { class: 'actor-name' }, a.name),
          h('span', { class: `kind kind-${a.kind}` }, a.kind),
          a.status === 'active' ? null : h('span', { class: 'muted' }, a.status),
          d ? h('span', { class: 'muted' }, `${d.decision}${d.delayMs !== undefined ? ` after ${duration(d.delayMs)}` : ''}`) : null,
        ),
      );
      walk(a.id, depth + 1);
    }
  };
  walk(undefined, 0);
  fill(
    el,
    lines.length === 0 ? h('p', { class: 'empty' }, 'No actors seen yet.') : h('ul', { class: 'tree' }, lines),
    visible.length > lines.length ? h('p', { class: 'muted' }, `showing ${lines.length} of ${visible.length} actors`) : null,
    model.decisions.length === 0
      ? null
      : h(
          'details',
          { class: 'decisions' },
          h('summary', {}, `supervisor decisions (${model.decisions.length})`),
          h(
            'ul',
            {},
            model.decisions.slice(0, 20).map((d) => h('li', {}, `${clock(d.at)} ${d.supervisor} → ${d.child}: ${d.decision}`, d.delayMs !== undefined ? ` after ${duration(d.delayMs)}` : '', d.error ? ` (${d.error})` : '')),
          ),
        ),
  );
}

/**
 * @param {HTMLElement} el
 * @param {import('./model.js').Model} model
 * @param {number} now
 * @param {{ state: 'loading' | 'ok' | 'unavailable' | 'error', message?: string, depths: import('./metrics.js').Depths }} scraped - from `GET /metrics`
 */
export function renderMetrics(el, model, now, scraped) {
  const s = model.window.stats(now);
  const counts = model.counts();
  const tile = (/** @type {string} */ name, /** @type {string} */ label, /** @type {string} */ value) => h('div', { class: 'tile', dataset: { metric: name } }, h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
  const open = [...model.circuits.entries()].filter(([, st]) => st !== 'closed');
  fill(
    el,
    h(
      'div',
      { class: 'tiles' },
      tile('steps-per-second', 'steps/s (last minute)', s.stepsPerSecond.toFixed(s.stepsPerSecond < 10 ? 2 : 0)),
      tile('p99', 'p99 step (last minute)', duration(s.p99Ms)),
      tile('steps', 'steps done (failed)', `${s.steps} (${s.failed})`),
      tile('active', 'running · waiting · paused', `${counts.running ?? 0} · ${counts['waiting-approval'] ?? 0} · ${counts.paused ?? 0}`),
    ),
    open.length > 0 ? h('p', { class: 'warn' }, 'circuits: ', open.map(([a, st]) => `${a} ${st}`).join(', ')) : null,
    h('h3', {}, 'queue depths'),
    scraped.state === 'ok'
      ? scraped.depths.agents.length + scraped.depths.pools.length === 0
        ? h('p', { class: 'muted' }, 'no queues yet')
        : [depthTable('agent', 'in mailbox', scraped.depths.agents), depthTable('worker pool', 'queued', scraped.depths.pools)]
      : h('p', { class: 'muted', dataset: { metricsState: scraped.state } }, scraped.state === 'loading' ? 'reading /metrics…' : `/metrics: ${scraped.message ?? scraped.state}`),
  );
}

/**
 * @param {string} what
 * @param {string} waiting - the waiting column's title
 * @param {import('./metrics.js').Depth[]} rows
 */
function depthTable(what, waiting, rows) {
  if (rows.length === 0) return null;
  return h(
    'table',
    { class: 'depths', dataset: { of: what } },
    h('thead', {}, h('tr', {}, h('th', {}, what), h('th', { class: 'num' }, waiting), h('th', { class: 'num' }, 'running'))),
    h('tbody', {}, rows.map((r) => h('tr', { class: r.waiting > 0 ? 'queued' : '' }, h('td', {}, r.name), h('td', { class: 'num' }, String(r.waiting)), h('td', { class: 'num' }, String(r.running))))),
  );
}

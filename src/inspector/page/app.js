// The inspector page: logs in when the API asks for a token, follows the server over the inspector
// WebSocket, and redraws the panels that an event changed (at most once a frame). Operator actions
// go over the socket as commands (approve, reject, pause, resume, cancel) or, to start a run, to
// `POST /runs`.

/* global document, window, location, history, localStorage, fetch, requestAnimationFrame */

import { Connection } from './connection.js';
import { fill, h } from './dom.js';
import { parsePrometheus, queueDepths } from './metrics.js';
import { isFinished, Model } from './model.js';
import { decisionKey, renderApprovals, renderLog, renderMetrics, renderRuns, renderTimeline, renderTree } from './views.js';

const TICK_MS = 1000;
const SCRAPE_MS = 5000;
/** How long a decision's outcome stays listed once the approval is gone. */
const DECIDED_SHOWN_MS = 15_000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

const ui = {
  model: new Model(Date.now()),
  /** @type {'read' | 'operator' | null} */
  scope: null,
  /** @type {Map<string, { state: string, text: string }>} */
  decisions: new Map(),
  /** @type {Set<number>} */
  expanded: new Set(),
  /** @type {{ state: 'loading' | 'ok' | 'unavailable' | 'error', message?: string, depths: import('./metrics.js').Depths }} */
  scraped: { state: 'loading', depths: { agents: [], pools: [] } },
  /** @type {Set<string>} */
  dirty: new Set(),
  scheduled: false,
  /** @type {Node | null} where a pointer is pressed: not redrawn until it is released (the click would be lost) */
  pressed: null,
  started: false,
  scraping: false,
};

const conn = new Connection({
  onHello(hello) {
    ui.scope = hello.scope;
    document.body.dataset.scope = hello.scope;
    setConn(`connected · ${hello.scope === 'operator' ? 'operator' : 'read-only'} · troupe ${hello.server.version}`, 'ok');
    invalidate(['approvals', 'run']);
  },
  onMessage(m) {
    if (m.type === 'snapshot') invalidate(ui.model.snapshot(m.snapshot));
    else if (m.type === 'events') for (const { at, event } of m.events) invalidate(ui.model.apply(event, at));
    else if (m.type === 'digest') invalidate(ui.model.digest(m));
    else if (m.type === 'error') notice(`${m.code}: ${m.message}`, 'error');
  },
  onStatus: (text) => setConn(text, text.startsWith('connecting') ? 'wait' : 'bad'),
  async onClosedBeforeHello() {
    return !(await unauthorized());
  },
});

ui.model.onUnknownRun = (runId) => {
  void api('GET', `/runs/${encodeURIComponent(runId)}`).then(({ status, body }) => {
    if (status !== 200) return;
    ui.model.fill(body);
    invalidate(['runs', 'approvals', 'run']);
  });
};

// ---- HTTP ---------------------------------------------------------------------------------------

/**
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<{ status: number, body: any }>}
 */
async function api(method, path, body) {
  try {
    const res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (the metrics text)
    }
    if (res.status === 401 && path !== '/login') showLogin('The session has expired: log in again.');
    return { status: res.status, body: parsed };
  } catch (e) {
    return { status: 0, body: { code: 'NETWORK', message: `the server cannot be reached (${e instanceof Error ? e.message : String(e)})` } };
  }
}

/** Whether the API refuses us for want of a token (and so shows the login box). */
async function unauthorized() {
  return (await api('GET', '/workflows')).status === 401;
}

/** @param {{ code?: string, message?: string } | string} body */
function errorText(body) {
  return typeof body === 'object' && body !== null ? `${body.code ?? 'error'}: ${body.message ?? ''}` : String(body);
}

// ---- login --------------------------------------------------------------------------------------

/** @param {string} [why] */
function showLogin(why) {
  conn.stop();
  ui.started = false;
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = why ?? '';
  setConn('not logged in', 'bad');
  input('token').focus();
}

async function login(/** @type {SubmitEvent} */ e) {
  e.preventDefault();
  const token = input('token').value;
  const { status, body } = await api('POST', '/login', { token });
  if (status !== 200) {
    $('login-error').textContent = errorText(body);
    return;
  }
  input('token').value = '';
  await begin();
}

async function logout() {
  await api('POST', '/logout');
  showLogin();
}

// ---- start --------------------------------------------------------------------------------------

async function begin() {
  const { status, body } = await api('GET', '/workflows');
  if (status === 401) return showLogin();
  $('login').hidden = true;
  $('app').hidden = false;
  const select = /** @type {HTMLSelectElement} */ ($('workflow'));
  const names = status === 200 ? body.workflows : [];
  fill(select, names.length === 0 ? h('option', { value: '' }, '(no workflows loaded: serve --workflows DIR)') : names.map((n) => h('option', { value: n }, n)));
  if (ui.started) return;
  ui.started = true;
  conn.subscribe({ kind: 'runs' });
  conn.subscribe({ kind: 'tree', runs: false }); // the runs' actors are drawn from the runs feed
  const wanted = /^#run=(.+)$/.exec(location.hash)?.[1];
  if (wanted !== undefined && ui.model.selected === null) follow(decodeURIComponent(wanted));
  conn.start();
  if (!ui.scraping) void scrape();
}

/** @param {SubmitEvent} e */
async function startRun(e) {
  e.preventDefault();
  const workflow = /** @type {HTMLSelectElement} */ ($('workflow')).value;
  let parsed;
  try {
    parsed = JSON.parse(input('input').value.trim() || '{}');
  } catch (err) {
    return notice(`input: not JSON (${err instanceof Error ? err.message : String(err)})`, 'error');
  }
  const { status, body } = await api('POST', '/runs', { workflow, input: parsed });
  if (status !== 201) return notice(errorText(body), 'error');
  notice(`started ${body.id} (${body.workflow})`, 'ok');
  follow(body.id);
}

// ---- selection, decisions, controls ---------------------------------------------------------------

/** @param {string} runId */
function follow(runId) {
  const old = ui.model.selected;
  if (old === runId) return;
  if (old !== null) conn.unsubscribe({ kind: 'run', runId: old });
  ui.model.select(runId);
  ui.expanded.clear();
  conn.subscribe({ kind: 'run', runId });
  history.replaceState(null, '', `#run=${encodeURIComponent(runId)}`);
  invalidate(['runs', 'run', 'log']);
}

/** Who decides, as typed in once (kept in this browser). */
function by() {
  const name = input('by').value.trim();
  localStorage.setItem('troupe.by', name);
  return name === '' ? {} : { by: name };
}

/**
 * @param {'approve' | 'reject'} command
 * @param {string} runId
 * @param {string} step
 */
async function decide(command, runId, step) {
  const key = decisionKey(runId, step);
  const comment = input('comment').value.trim();
  ui.decisions.set(key, { state: 'sending', text: `${command === 'approve' ? 'approving' : 'rejecting'}…` });
  invalidate(['approvals']);
  const ack = await conn.command({ command, runId, step, ...by(), ...(comment === '' ? {} : { comment }) });
  const text = ack.ok ? `${key}: ${command === 'approve' ? 'approved' : 'rejected'}${ack.duplicate ? ' (already)' : ''}` : `${key}: ${errorText(ack.error)}`;
  ui.decisions.set(key, { state: ack.ok ? 'ok' : 'error', text });
  if (ack.ok) input('comment').value = '';
  setTimeout(() => {
    ui.decisions.delete(key);
    invalidate(['approvals']);
  }, DECIDED_SHOWN_MS);
  invalidate(['approvals']);
}

/** @param {'pause' | 'resume' | 'cancel'} command */
async function control(command) {
  const runId = ui.model.selected;
  if (runId === null) return;
  const ack = await conn.command({ command, runId, ...by() });
  notice(ack.ok ? `${command}: ${runId} ✓` : `${command}: ${errorText(ack.error)}`, ack.ok ? 'ok' : 'error');
}

function renderControls() {
  const run = ui.model.selected === null ? undefined : ui.model.runs.get(ui.model.selected);
  const operator = ui.scope === 'operator';
  const button = (/** @type {'pause' | 'resume' | 'cancel'} */ c, /** @type {boolean} */ enabled) =>
    h('button', { type: 'button', dataset: { control: c }, disabled: !operator || !enabled, onclick: () => void control(c) }, c[0].toUpperCase() + c.slice(1));
  if (!run) return fill($('run-controls'));
  const live = !isFinished(run.status);
  fill($('run-controls'), button('pause', live && run.status !== 'paused'), button('resume', run.status === 'paused'), button('cancel', live));
}

// ---- drawing ------------------------------------------------------------------------------------

/**
 * Redraw these panels at the next frame (with none: redraw those left waiting).
 * @param {Iterable<string>} panels
 */
function invalidate(panels) {
  for (const p of panels) ui.dirty.add(p);
  if (ui.dirty.has('runs')) ui.dirty.add('tree'); // the runs' actors are drawn from the runs
  if (ui.scheduled || ui.dirty.size === 0) return;
  ui.scheduled = true;
  requestAnimationFrame(render);
}

/** Panels the user is selecting text in wait for the next tick (redrawing would drop the selection). */
function selecting(/** @type {HTMLElement} */ el) {
  const sel = document.getSelection();
  return sel !== null && !sel.isCollapsed && sel.anchorNode !== null && el.contains(sel.anchorNode);
}

/** A panel is left alone while the user selects in it or holds a pointer down on it. */
function busy(/** @type {HTMLElement} */ el) {
  return (ui.pressed !== null && el.contains(ui.pressed)) || selecting(el);
}

function render() {
  ui.scheduled = false;
  const now = Date.now();
  const m = ui.model;
  const draw = {
    runs: () => renderRuns($('runs'), m, now),
    run: () => (renderTimeline($('timeline'), m, now), renderControls()),
    log: () => renderLog($('log'), m, ui.expanded),
    approvals: () => renderApprovals($('approvals'), m, now, { canAct: ui.scope === 'operator', decisions: ui.decisions }),
    tree: () => renderTree($('tree'), m, input('show-stopped').checked),
    metrics: () => renderMetrics($('metrics'), m, now, ui.scraped),
  };
  const panel = { runs: 'runs', run: 'timeline', log: 'log', approvals: 'approvals', tree: 'tree', metrics: 'metrics' };
  for (const p of [...ui.dirty]) {
    const key = /** @type {keyof typeof draw} */ (p);
    if (!draw[key] || busy($(panel[key]))) continue;
    ui.dirty.delete(p);
    draw[key]();
  }
}

function tick() {
  const m = ui.model;
  const active = [...m.runs.values()].some((r) => !isFinished(r.status));
  const selected = m.selected === null ? undefined : m.runs.get(m.selected);
  invalidate(['metrics', ...(active ? ['runs', 'approvals'] : []), ...(selected && !isFinished(selected.status) ? ['run'] : [])]);
}

async function scrape() {
  ui.scraping = true;
  if (ui.started && document.visibilityState === 'visible') {
    const { status, body } = await api('GET', '/metrics');
    if (status === 200) ui.scraped = { state: 'ok', depths: queueDepths(parsePrometheus(String(body))) };
    else if (status === 503) ui.scraped = { state: 'unavailable', message: 'not available on this server (503); the figures above come from the event stream', depths: { agents: [], pools: [] } };
    else ui.scraped = { state: 'error', message: errorText(body), depths: { agents: [], pools: [] } };
    invalidate(['metrics']);
  }
  setTimeout(() => void scrape(), SCRAPE_MS);
}

/** @param {string} text @param {'ok' | 'wait' | 'bad'} level */
function setConn(text, level) {
  const el = $('conn');
  el.textContent = text;
  el.dataset.level = level;
}

/** @param {string} text @param {'ok' | 'error'} level */
function notice(text, level) {
  const el = $('notice');
  el.textContent = text;
  el.dataset.level = level;
}

// ---- wiring -------------------------------------------------------------------------------------

function wire() {
  $('login-form').addEventListener('submit', (e) => void login(/** @type {SubmitEvent} */ (e)));
  $('logout').addEventListener('click', () => void logout());
  $('start-form').addEventListener('submit', (e) => void startRun(/** @type {SubmitEvent} */ (e)));
  input('by').value = localStorage.getItem('troupe.by') ?? '';
  input('show-stopped').addEventListener('change', () => invalidate(['tree']));
  $('runs').addEventListener('click', (e) => {
    const row = /** @type {HTMLElement} */ (e.target).closest('tr[data-run-id]');
    if (row instanceof window.HTMLElement && row.dataset.runId) follow(row.dataset.runId);
  });
  $('log').addEventListener('click', (e) => {
    const row = /** @type {HTMLElement} */ (e.target).closest('tr.entry');
    if (!(row instanceof window.HTMLElement) || selecting($('log'))) return;
    const seq = Number(row.dataset.seq);
    if (!ui.expanded.delete(seq)) ui.expanded.add(seq);
    invalidate(['log']);
  });
  $('approvals').addEventListener('click', (e) => {
    const b = /** @type {HTMLElement} */ (e.target).closest('button[data-action]');
    if (!(b instanceof window.HTMLButtonElement) || b.disabled) return;
    const { action, runId, step } = b.dataset;
    if ((action === 'approve' || action === 'reject') && runId && step) void decide(action, runId, step);
  });
  document.addEventListener('pointerdown', (e) => (ui.pressed = /** @type {Node} */ (e.target)));
  for (const end of ['pointerup', 'pointercancel']) {
    document.addEventListener(end, () => {
      ui.pressed = null;
      invalidate([]);
    });
  }
  setInterval(tick, TICK_MS);
}

wire();
void begin();

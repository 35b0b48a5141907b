import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, parseWorkflow, type ContextEntry, type TroupeRuntime, type WorkerContext } from 'troupe';
import { logSearch } from '../../actors/incident-response/log-search.js';
import { execute as searchLogsInWorker, searchLogs } from '../../actors/incident-response/log-search.task.js';
import { remediator } from '../../actors/incident-response/remediator.js';
import { reporter } from '../../actors/incident-response/reporter.js';
import { threatIntel } from '../../actors/incident-response/threat-intel.js';
import { triage } from '../../actors/incident-response/triage.js';
import { undoContainment } from '../../actors/incident-response/undo-containment.js';
import { extractIndicators, indicatorPattern } from '../../actors/incident-response/lib/indicators.js';
import { CHECK_EVERY, CorpusCache, DEFAULT_LINES, generateCorpus } from '../../actors/incident-response/lib/log-corpus.js';
import { INTEL_TABLE } from '../../actors/incident-response/lib/intel-table.js';
import type {
  Alert,
  LogSearchInput,
  LogSearchOutput,
  RemediationPlan,
  ReporterOutput,
  ThreatIntelOutput,
  TriageOutput,
  UndoOutput,
} from '../../actors/incident-response/types.js';
import { fakeContext, readActorJson } from './helpers.js';

const sample = readActorJson<{ alert: Alert }>('incident-response/sample-alert.json').alert;
const low = readActorJson<{ alert: Alert }>('incident-response/low-alert.json').alert;
const ctx = fakeContext();
const WORKFLOW = fileURLToPath(new URL('../../actors/incident-response/workflow.yaml', import.meta.url));

/** A fresh fake worker context for calling the log-search task module's `execute` directly, in this thread. */
function workerContext(overrides: Partial<WorkerContext> = {}): WorkerContext {
  const signal = overrides.signal ?? new AbortController().signal;
  return { signal, deadline: Number.MAX_SAFE_INTEGER, throwIfAborted: () => signal.throwIfAborted(), attempt: 1, runId: 'r', stepId: 's', idempotencyKey: 'k', ...overrides };
}

type Investigation = { t: TriageOutput; logs: LogSearchOutput; intel: ThreatIntelOutput };
// A default corpus takes a few hundred ms to generate and scan: investigate each alert once per file.
const investigations = new Map<Alert, Promise<Investigation>>();

function investigate(alert: Alert): Promise<Investigation> {
  let p = investigations.get(alert);
  if (!p) {
    p = (async () => {
      const t = (await triage.definition.execute({ alert }, ctx)) as TriageOutput;
      const logs = searchLogsInWorker({ alertId: alert.id, around: alert.timestamp, indicators: t.indicators }, workerContext());
      const intel = (await threatIntel.definition.execute({ indicators: t.indicators }, ctx)) as ThreatIntelOutput;
      return { t, logs, intel };
    })();
    investigations.set(alert, p);
  }
  return p;
}

describe('incident-response crew', () => {
  describe('fixtures', () => {
    it('match the agents’ input schemas', () => {
      expect(triage.validateInput({ alert: sample })).toBeNull();
      expect(triage.validateInput({ alert: low })).toBeNull();
    });
  });

  describe('triage', () => {
    it('classifies the sample alert as high credential-access', async () => {
      const out = (await triage.definition.execute({ alert: sample }, ctx)) as TriageOutput;
      expect(out.severity).toBe('high');
      expect(out.category).toBe('credential-access');
      expect(triage.validateOutput(out)).toBeNull();
    });

    it('classifies the low alert as low', async () => {
      const out = (await triage.definition.execute({ alert: low }, ctx)) as TriageOutput;
      expect(out.severity).toBe('low');
      expect(out.category).toBe('reconnaissance');
      expect(triage.validateOutput(out)).toBeNull();
      expect(out.snippets.length).toBeGreaterThan(0); // lines naming the internal source IP
    });

    it('extracts routable IPs, hashes, domains, users and hosts, leaving private IPs out', async () => {
      const out = (await triage.definition.execute({ alert: sample }, ctx)) as TriageOutput;
      expect(out.indicators).toEqual({
        ips: ['203.0.113.66', '198.51.100.23'],
        hashes: ['f28b5010d1182b4893f257bdd931e15ad54ed6e294852b928d6c065958b726cc', 'f2c58bcf81066e145470caa32ef348f99ae410f6e2e2d46e0ffc4af305fe91df'],
        domains: ['update-check.badcdn.example', 'files-share.example'],
        users: ['j.doe'],
        hosts: ['fin-ws-042', 'fin-fs-01'],
      });
      expect(out.snippets.every((s) => s.matched.length > 0)).toBe(true);
      expect(out.snippets.map((s) => s.line)).toContain(4); // the lsass access line with the hash
    });

    it('escalates to critical for ransomware on a critical asset', async () => {
      const alert: Alert = { ...sample, signature: 'Ransomware: mass file encryption, vssadmin.exe delete shadows', severity_hint: 'critical', asset_criticality: 'critical' };
      const out = (await triage.definition.execute({ alert }, ctx)) as TriageOutput;
      expect(out.severity).toBe('critical');
      expect(out.category).toBe('ransomware');
    });

    it('rejects an alert without the required fields', () => {
      expect(triage.validateInput({ alert: { id: 'x' } })).not.toBeNull();
    });
  });

  describe('indicator patterns', () => {
    it('do not match a longer token that contains the indicator', () => {
      expect(indicatorPattern('ip', '10.0.0.1').test('src=10.0.0.12')).toBe(false);
      expect(indicatorPattern('ip', '10.0.0.1').test('src=10.0.0.1 dst=x')).toBe(true);
      expect(indicatorPattern('domain', 'evil.example').test('query: cdn.evil.example IN A')).toBe(true);
      expect(indicatorPattern('domain', 'evil.example').test('query: notevil.example IN A')).toBe(false);
      expect(indicatorPattern('user', 'bob').test('user=bobby')).toBe(false);
    });

    it('extract nothing routable from a purely internal alert', () => {
      expect(extractIndicators(low).ips).toEqual([]);
    });
  });

  describe('log-search', () => {
    it('is a worker agent whose module exports execute', () => {
      expect(logSearch.kind).toBe('worker');
      expect(logSearch.worker).toMatchObject({ exportName: 'execute', pool: { maxThreads: 2, maxQueue: 64, recycleAfter: 1000 } });
      expect(logSearch.worker!.module).toBe(new URL('../../actors/incident-response/log-search.task.ts', import.meta.url).href);
    });

    it('is deterministic across calls and workers', async () => {
      const { t } = await investigate(sample);
      const input: LogSearchInput = { alertId: sample.id, around: sample.timestamp, indicators: t.indicators, lines: 5000 };
      const a = searchLogsInWorker(input, workerContext());
      const b = searchLogs(input, workerContext(), new CorpusCache()); // as another worker would, with its own cache
      expect(b).toEqual(a);
      expect(logSearch.validateOutput(a)).toBeNull();
    });

    it('scans about 4 MB of logs by default and finds every planted indicator, first seen before last seen', async () => {
      const { t, logs } = await investigate(sample);
      expect(logs.corpus.lines).toBe(DEFAULT_LINES);
      const bytes = generateCorpus({ alertId: sample.id, around: sample.timestamp, indicators: t.indicators }).lines.reduce((n, l) => n + l.text.length + 1, 0);
      expect(bytes).toBeGreaterThan(3_500_000);
      expect(bytes).toBeLessThan(5_000_000);
      expect(logs.misses).toEqual([]);
      expect(logs.hits.map((h) => h.indicator).sort()).toEqual(
        [...t.indicators.ips, ...t.indicators.hashes, ...t.indicators.domains, ...t.indicators.users, ...t.indicators.hosts].sort(),
      );
      for (const hit of logs.hits) expect(Date.parse(hit.firstSeen)).toBeLessThanOrEqual(Date.parse(hit.lastSeen));
      expect(logSearch.validateOutput(logs)).toBeNull();
    });

    it('generates the corpus lazily and caches it per worker', async () => {
      const { t } = await investigate(sample);
      const cache = new CorpusCache();
      expect(cache.size).toBe(0);
      const input = { alertId: sample.id, indicators: t.indicators, lines: 1000 };
      searchLogs(input, workerContext(), cache);
      searchLogs(input, workerContext(), cache);
      expect(cache.size).toBe(1);
    });

    it('keeps its cache within its line budget, always keeping the newest corpus', () => {
      const indicators = extractIndicators(sample);
      const cache = new CorpusCache(4, 1500);
      cache.get({ alertId: 'A-1', indicators, lines: 1000 });
      cache.get({ alertId: 'A-2', indicators, lines: 1000 });
      expect(cache.size).toBe(1);
      cache.get({ alertId: 'A-3', indicators, lines: 2000 });
      expect(cache.size).toBe(1);
    });

    it('gives a different corpus for a different alert id', () => {
      const indicators = extractIndicators(sample);
      const a = generateCorpus({ alertId: 'A-1', indicators, lines: 200 });
      const b = generateCorpus({ alertId: 'A-2', indicators, lines: 200 });
      expect(a.lines.map((l) => l.text)).not.toEqual(b.lines.map((l) => l.text));
    });

    it('stops when its context is aborted', async () => {
      const ac = new AbortController();
      ac.abort(new Error('timeout'));
      const { t } = await investigate(sample);
      expect(() => searchLogsInWorker({ alertId: sample.id, indicators: t.indicators }, workerContext({ signal: ac.signal }))).toThrow('timeout');
    });

    it('asks whether to stop every few thousand lines, while generating and while scanning', () => {
      const lines = 20_000;
      const indicators = { ips: ['203.0.113.66'], hashes: [], domains: [], users: [], hosts: [] };
      let checks = 0;
      searchLogs({ alertId: 'A-1', indicators, lines }, { throwIfAborted: () => void checks++ }, new CorpusCache());
      // Once up front and once for the one indicator; the rest come from inside the two loops.
      expect(checks - 2).toBeGreaterThanOrEqual(2 * Math.floor(lines / CHECK_EVERY));
    });

    it('stops in the middle of a scan, as at a worker task deadline', () => {
      const indicators = { ips: ['203.0.113.66'], hashes: [], domains: [], users: [], hosts: [] };
      const input = { alertId: 'A-1', indicators, lines: 10_000 };
      const cache = new CorpusCache();
      searchLogs(input, { throwIfAborted: () => undefined }, cache); // the corpus is cached: what follows only scans
      let checks = 0;
      const deadline = {
        throwIfAborted() {
          if (++checks > 2) throw new Error('deadline passed');
        },
      };
      // Up front, before the indicator, then the first check inside the line loop throws.
      expect(() => searchLogs(input, deadline, cache)).toThrow('deadline passed');
      expect(checks).toBe(3);
    });

    it('stops in the middle of generating a corpus and caches nothing half-made', () => {
      const indicators = { ips: ['203.0.113.66'], hashes: [], domains: [], users: [], hosts: [] };
      const cache = new CorpusCache();
      let checks = 0;
      const deadline = {
        throwIfAborted() {
          if (++checks > 3) throw new Error('deadline passed');
        },
      };
      expect(() => searchLogs({ alertId: 'A-1', indicators, lines: 50_000 }, deadline, cache)).toThrow('deadline passed');
      expect(checks).toBe(4);
      expect(cache.size).toBe(0);
    });

    it('accepts up to 200,000 lines', () => {
      const indicators = extractIndicators(sample);
      expect(logSearch.validateInput({ alertId: 'A-1', indicators, lines: 200_000 })).toBeNull();
      expect(logSearch.validateInput({ alertId: 'A-1', indicators, lines: 200_001 })).not.toBeNull();
    });
  });

  describe('log-search in the runtime', () => {
    let runtime: TroupeRuntime | undefined;
    afterEach(async () => {
      await runtime?.stop();
      runtime = undefined;
    });

    it('scans in a worker thread while the event loop stays responsive', async () => {
      runtime = await createRuntime({ autoApprove: true });
      await runtime.load(WORKFLOW);
      // The shipped workflow file with a bigger corpus (about 9 MB), so the scan dwarfs timer jitter.
      const shipped = parseWorkflow(readFileSync(WORKFLOW, 'utf8'), WORKFLOW);
      const def = structuredClone(shipped) as unknown as { steps: { investigate: { parallel: { logs: { input: Record<string, string> } } } } };
      def.steps.investigate.parallel.logs.input.lines = '100000';

      // The longest the event loop went without running a 5 ms timer while the logs step ran.
      let scanning = false;
      let last = performance.now();
      let maxGapMs = 0;
      runtime.on((e) => {
        if (e.type === 'step.started' && e.step === 'investigate.logs') {
          scanning = true;
          last = performance.now(); // earlier inline steps' time is not the scan's
        }
        if ((e.type === 'step.completed' && e.entry.step === 'investigate.logs') || (e.type === 'step.failed' && e.step === 'investigate.logs')) scanning = false;
      });
      const timer = setInterval(() => {
        const now = performance.now();
        if (scanning) maxGapMs = Math.max(maxGapMs, now - last);
        last = now;
      }, 5);
      let entries: ContextEntry[];
      let report: ReporterOutput;
      try {
        const run = await runtime.start(def as unknown as typeof shipped, readActorJson('incident-response/sample-alert.json'));
        report = (await run.result()) as ReporterOutput;
        entries = await run.context();
      } finally {
        clearInterval(timer);
      }

      expect(report.summary.severity).toBe('high');
      const logs = entries.find((e) => e.step === 'investigate.logs' && e.kind === 'step');
      expect(logs).toMatchObject({ agent: 'log-search', output: { corpus: { lines: 100_000 }, misses: [] } });
      expect(runtime.poolStats()).toContainEqual(expect.objectContaining({ name: 'agent:log-search', completed: 1, failed: 0 }));
      // The scan took the worker a long while; the event loop never waited more than a fraction of it.
      expect(logs!.durationMs!).toBeGreaterThan(0);
      expect(maxGapMs).toBeLessThan(logs!.durationMs! / 5);
    });
  });

  describe('threat-intel', () => {
    it('returns verdicts from the offline table', async () => {
      const { intel } = await investigate(sample);
      expect(threatIntel.validateOutput(intel)).toBeNull();
      const byIndicator = new Map(intel.verdicts.map((v) => [v.indicator, v]));
      expect(byIndicator.get('203.0.113.66')?.verdict).toBe('malicious');
      expect(byIndicator.get('198.51.100.23')?.verdict).toBe('suspicious');
      expect(intel.summary.maxScore).toBe(97);
    });

    it('matches a subdomain on its listed parent and reports unknowns', async () => {
      const indicators = { ips: ['198.51.100.250'], hashes: [], domains: ['a.b.lockbit-leaks.example'], users: [], hosts: [] };
      const out = (await threatIntel.definition.execute({ indicators }, ctx)) as ThreatIntelOutput;
      expect(out.verdicts[0]).toMatchObject({ indicator: '198.51.100.250', verdict: 'unknown', matchedOn: null });
      expect(out.verdicts[1]).toMatchObject({ verdict: 'malicious', matchedOn: 'lockbit-leaks.example', score: 91 });
      expect(threatIntel.validateOutput(out)).toBeNull();
    });

    it('ships only documentation-range IPs and .example domains', () => {
      for (const e of INTEL_TABLE) {
        if (e.kind === 'ip') expect(e.indicator).toMatch(/^(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$/);
        if (e.kind === 'domain') expect(e.indicator).toMatch(/\.example$/);
      }
      expect(INTEL_TABLE.length).toBeGreaterThanOrEqual(30);
    });
  });

  describe('remediator and undo-containment', () => {
    it('drafts actions that cover every indicator', async () => {
      const { t, logs, intel } = await investigate(sample);
      const plan = (await remediator.definition.execute({ alert: sample, triage: t, logs, intel }, ctx)) as RemediationPlan;
      expect(remediator.validateOutput(plan)).toBeNull();
      const targets = new Set(plan.actions.map((a) => a.target));
      const { ips, hashes, domains, users, hosts } = t.indicators;
      for (const indicator of [...ips, ...hashes, ...domains, ...users, ...hosts]) expect(targets).toContain(indicator);
      expect(plan.actions).toContainEqual(expect.objectContaining({ kind: 'isolate-host', target: 'fin-ws-042' }));
      expect(plan.actions).toContainEqual(expect.objectContaining({ kind: 'block-ip', target: '203.0.113.66' }));
      expect(plan.actions).toContainEqual(expect.objectContaining({ kind: 'disable-account', target: 'j.doe' }));
      expect(plan.actions.map((a) => a.id)).toEqual(plan.actions.map((_, i) => `A${i + 1}`));
    });

    it('monitors instead of blocking what intel calls benign', async () => {
      const { t } = await investigate(sample);
      const triaged = { ...t, indicators: { ...t.indicators, ips: ['192.0.2.10'] } };
      const intel = (await threatIntel.definition.execute({ indicators: triaged.indicators }, ctx)) as ThreatIntelOutput;
      const plan = (await remediator.definition.execute({ alert: sample, triage: triaged, intel }, ctx)) as RemediationPlan;
      expect(plan.actions).toContainEqual(expect.objectContaining({ kind: 'monitor', target: '192.0.2.10' }));
    });

    it('undoes reversible actions last first and skips the rest', async () => {
      const { t, logs, intel } = await investigate(sample);
      const plan = (await remediator.definition.execute({ alert: sample, triage: t, logs, intel }, ctx)) as RemediationPlan;
      expect(undoContainment.validateInput(plan)).toBeNull();
      const out = (await undoContainment.definition.execute(plan, ctx)) as UndoOutput;
      expect(undoContainment.validateOutput(out)).toBeNull();
      expect(out.incidentId).toBe(sample.id);
      expect(out.undone[0]).toEqual({ id: 'A' + (plan.actions.length - 1), kind: 'enable-account', target: 'j.doe', reverses: 'disable-account' });
      expect(out.undone.at(-1)).toEqual({ id: 'A1', kind: 'release-host', target: 'fin-ws-042', reverses: 'isolate-host' });
      expect(out.skipped.map((s) => s.kind)).toContain('rotate-credentials');
      expect(out.undone.length + out.skipped.length).toBe(plan.actions.length);
    });
  });

  describe('reporter', () => {
    it('reports a contained high incident with its actions and approval', async () => {
      const { t, logs, intel } = await investigate(sample);
      const plan = (await remediator.definition.execute({ alert: sample, triage: t, logs, intel }, ctx)) as RemediationPlan;
      const input = { alert: sample, triage: t, investigate: { logs, intel }, remediate: plan };
      expect(reporter.validateInput(input)).toBeNull();
      const out = (await reporter.definition.execute(input, ctx)) as ReporterOutput;
      expect(reporter.validateOutput(out)).toBeNull();
      expect(out.summary).toMatchObject({ severity: 'high', status: 'contained', approvals: [{ step: 'remediate', status: 'approved' }] });
      expect(out.summary.actions).toHaveLength(plan.actions.length);
      expect(out.summary.malicious).toContain('203.0.113.66');
      expect(out.markdown).toContain('# Incident ALERT-2024-0514-0042');
      expect(out.markdown).toContain('| A1 | isolate-host | `fin-ws-042` |');
      const times = out.summary.timeline.filter((e) => e.at !== null).map((e) => Date.parse(e.at!));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    });

    it('reports a rejection recorded as the step’s decision', async () => {
      const { t, logs, intel } = await investigate(sample);
      const input = { alert: sample, triage: t, investigate: { logs, intel }, remediate: { approved: false, by: 'sam', comment: 'production host' } };
      const out = (await reporter.definition.execute(input, ctx)) as ReporterOutput;
      expect(reporter.validateOutput(out)).toBeNull();
      expect(out.summary.status).toBe('containment-rejected');
      expect(out.summary.approvals).toEqual([{ step: 'remediate', status: 'rejected', by: 'sam', comment: 'production host' }]);
      expect(out.summary.actions).toEqual([]);
    });

    it('closes a low alert without containment', async () => {
      const t = (await triage.definition.execute({ alert: low }, ctx)) as TriageOutput;
      const out = (await reporter.definition.execute({ alert: low, triage: t }, ctx)) as ReporterOutput;
      expect(reporter.validateOutput(out)).toBeNull();
      expect(out.summary).toMatchObject({ status: 'closed-low-severity', approvals: [{ step: 'remediate', status: 'not-required' }], actions: [] });
    });
  });
});

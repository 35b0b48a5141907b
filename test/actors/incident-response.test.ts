import { describe, expect, it } from 'vitest';
import { logSearch } from '../../actors/incident-response/log-search.js';
import { remediator } from '../../actors/incident-response/remediator.js';
import { reporter } from '../../actors/incident-response/reporter.js';
import { threatIntel } from '../../actors/incident-response/threat-intel.js';
import { triage } from '../../actors/incident-response/triage.js';
import { undoContainment } from '../../actors/incident-response/undo-containment.js';
import { extractIndicators, indicatorPattern } from '../../actors/incident-response/lib/indicators.js';
import { CorpusCache, generateCorpus } from '../../actors/incident-response/lib/log-corpus.js';
import { INTEL_TABLE } from '../../actors/incident-response/lib/intel-table.js';
import type {
  Alert,
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

async function investigate(alert: Alert): Promise<{ t: TriageOutput; logs: LogSearchOutput; intel: ThreatIntelOutput }> {
  const t = (await triage.definition.execute({ alert }, ctx)) as TriageOutput;
  const logs = (await logSearch.definition.execute({ alertId: alert.id, around: alert.timestamp, indicators: t.indicators }, ctx)) as LogSearchOutput;
  const intel = (await threatIntel.definition.execute({ indicators: t.indicators }, ctx)) as ThreatIntelOutput;
  return { t, logs, intel };
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
    it('is deterministic across calls and instances', async () => {
      const { t } = await investigate(sample);
      const input = { alertId: sample.id, around: sample.timestamp, indicators: t.indicators };
      const a = await logSearch.definition.execute(input, fakeContext());
      const b = await logSearch.definition.execute(input, fakeContext({ state: new CorpusCache(2) }));
      expect(b).toEqual(a);
      expect(logSearch.validateOutput(a)).toBeNull();
    });

    it('finds every planted indicator, with first seen before last seen', async () => {
      const { t, logs } = await investigate(sample);
      expect(logs.corpus.lines).toBe(3000);
      expect(logs.misses).toEqual([]);
      expect(logs.hits.map((h) => h.indicator).sort()).toEqual(
        [...t.indicators.ips, ...t.indicators.hashes, ...t.indicators.domains, ...t.indicators.users, ...t.indicators.hosts].sort(),
      );
      for (const hit of logs.hits) expect(Date.parse(hit.firstSeen)).toBeLessThanOrEqual(Date.parse(hit.lastSeen));
    });

    it('generates the corpus lazily and caches it per instance', async () => {
      const { t } = await investigate(sample);
      const cache = logSearch.definition.setup!({ instance: 0, signal: new AbortController().signal }) as CorpusCache;
      expect(cache.size).toBe(0);
      const input = { alertId: sample.id, indicators: t.indicators };
      await logSearch.definition.execute(input, fakeContext({ state: cache }));
      await logSearch.definition.execute(input, fakeContext({ state: cache }));
      expect(cache.size).toBe(1);
    });

    it('gives a different corpus for a different alert id', () => {
      const indicators = extractIndicators(sample);
      const a = generateCorpus({ alertId: 'A-1', indicators, lines: 200 });
      const b = generateCorpus({ alertId: 'A-2', indicators, lines: 200 });
      expect(a.lines.map((l) => l.text)).not.toEqual(b.lines.map((l) => l.text));
    });

    it('stops when its signal is aborted', async () => {
      const ac = new AbortController();
      ac.abort(new Error('timeout'));
      const { t } = await investigate(sample);
      expect(() => logSearch.definition.execute({ alertId: sample.id, indicators: t.indicators }, fakeContext({ signal: ac.signal }))).toThrow('timeout');
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

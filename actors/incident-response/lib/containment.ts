/**
 * Containment planning and its compensation, as pure functions: the remediator drafts actions
 * from triage and findings; the undo reverses them, last first (saga order).
 */
import type {
  ActionKind,
  ContainmentAction,
  IntelVerdict,
  RemediationPlan,
  RemediatorInput,
  UndoKind,
  UndoOutput,
} from '../types.js';

const MAX_EXTRA_HOSTS = 8;
const PRIVILEGED_USER = /^(?:root|admin|administrator|domain[ _-]?admin.*|svc[-_].*|.*-adm|krbtgt)$/i;
const ACCOUNT_TAKEOVER = new Set(['credential-access', 'brute-force', 'phishing', 'lateral-movement']);

function describe(v: IntelVerdict | undefined, seen: number): string {
  const intel = v === undefined || v.verdict === 'unknown' ? 'no intel match' : `intel ${v.verdict} (score ${v.score}${v.tags.length > 0 ? `; ${v.tags.join(', ')}` : ''})`;
  return seen > 0 ? `${intel}; ${seen} log hit(s)` : intel;
}

/** Draft containment actions for an incident. Every indicator gets at least one action. */
export function planContainment(input: RemediatorInput): RemediationPlan {
  const { alert, triage } = input;
  const severity = triage.severity;
  const urgent = severity === 'high' || severity === 'critical';
  const verdicts = new Map((input.intel?.verdicts ?? []).map((v) => [v.indicator, v]));
  const hits = input.logs?.hits ?? [];
  const seen = new Map(hits.map((h) => [h.indicator, h.count]));
  const actions: ContainmentAction[] = [];
  const add = (kind: ActionKind, target: string, reason: string): void => {
    const text = reason.length > 500 ? `${reason.slice(0, 497)}...` : reason;
    actions.push({ id: `A${actions.length + 1}`, kind, target, reason: text });
  };
  const blockOrWatch = (kind: ActionKind, value: string): void => {
    const v = verdicts.get(value);
    const why = describe(v, seen.get(value) ?? 0);
    if (severity === 'low') add('monitor', value, `low severity; ${why}`);
    else if (v?.verdict === 'benign') add('monitor', value, `${why}; not blocked`);
    else add(kind, value, why);
  };

  const alertHost = alert.host.toLowerCase();
  for (const host of triage.indicators.hosts) {
    const why = host === alertHost ? `${severity} ${triage.category} alert raised on this host` : 'host named in the alert logs';
    add(urgent ? 'isolate-host' : 'scan-host', host, why);
  }
  const covered = new Set(triage.indicators.hosts);
  let extra = 0;
  for (const hit of hits) {
    const v = verdicts.get(hit.indicator);
    // Only hosts that touched a known-bad indicator; unknowns would flood the plan with noise.
    if (hit.kind === 'host' || hit.kind === 'user' || v?.verdict !== 'malicious') continue;
    for (const host of hit.hosts) {
      if (covered.has(host) || extra >= MAX_EXTRA_HOSTS) continue;
      covered.add(host);
      extra++;
      add('scan-host', host, `logs show contact with ${hit.indicator} (${describe(v, hit.count)})`);
    }
  }

  for (const ip of triage.indicators.ips) blockOrWatch('block-ip', ip);
  for (const domain of triage.indicators.domains) blockOrWatch('block-domain', domain);
  for (const hash of triage.indicators.hashes) blockOrWatch('quarantine-file', hash);

  const takeover = severity === 'critical' || (urgent && ACCOUNT_TAKEOVER.has(triage.category));
  for (const user of triage.indicators.users) {
    if (severity === 'low') {
      add('monitor', user, 'low severity; account activity to be watched');
      continue;
    }
    if (takeover) add('disable-account', user, `${triage.category} at ${severity} severity: assume the account is compromised`);
    add('rotate-credentials', user, takeover ? 'credentials may have been exposed' : `precaution after ${triage.category} activity`);
  }

  const isolated = actions.filter((a) => a.kind === 'isolate-host').length;
  const privileged = actions.filter((a) => a.kind === 'disable-account' && PRIVILEGED_USER.test(a.target)).length;
  const criticalAsset = alert.asset_criticality === 'critical' || alert.asset_criticality === 'high';
  const reasons: string[] = [];
  if (isolated > 0) reasons.push(`${isolated} host(s) isolated${criticalAsset ? ', including a business-critical asset' : ''}`);
  if (privileged > 0) reasons.push(`${privileged} privileged account(s) disabled`);
  if (actions.length > 10) reasons.push(`${actions.length} actions in total`);
  const risk = (isolated > 0 && criticalAsset) || privileged > 0 ? 'high' : isolated > 0 || actions.length > 10 ? 'medium' : 'low';

  return {
    incidentId: alert.id,
    severity,
    actions,
    risk,
    rationale: reasons.length > 0 ? `${reasons.join('; ')}.` : 'Monitoring and blocking only.',
  };
}

const REVERSAL: Partial<Record<ActionKind, UndoKind>> = {
  'isolate-host': 'release-host',
  'block-ip': 'unblock-ip',
  'block-domain': 'unblock-domain',
  'quarantine-file': 'restore-file',
  'disable-account': 'enable-account',
};

const IRREVERSIBLE: Partial<Record<ActionKind, string>> = {
  'rotate-credentials': 'rotated credentials stay rotated; the user sets a new password',
  'scan-host': 'a scan changes nothing to reverse',
  monitor: 'monitoring changes nothing to reverse',
};

/** Reverse a drafted plan, last action first. */
export function undoContainment(plan: { readonly incidentId?: string; readonly actions: readonly ContainmentAction[] }): UndoOutput {
  const undone: UndoOutput['undone'][number][] = [];
  const skipped: UndoOutput['skipped'][number][] = [];
  for (const action of [...plan.actions].reverse()) {
    const kind = REVERSAL[action.kind];
    if (kind === undefined) skipped.push({ id: action.id, kind: action.kind, target: action.target, reason: IRREVERSIBLE[action.kind] ?? 'nothing to reverse' });
    else undone.push({ id: action.id, kind, target: action.target, reverses: action.kind });
  }
  return { incidentId: plan.incidentId ?? null, undone, skipped };
}

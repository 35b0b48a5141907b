/**
 * The incident report: a structured summary (status, timeline, actions, approvals) and the same
 * facts as markdown for a ticket or a chat channel. Pure: it only reads what the workflow gathered.
 */
import type {
  ApprovalDecision,
  ApprovalStatus,
  IncidentStatus,
  IntelVerdict,
  RemediationPlan,
  ReporterInput,
  ReporterOutput,
  ReportSummary,
  TimelineEntry,
} from '../types.js';

const LEADING_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2}))\s/;
const MAX_LOG_EVENTS = 8;
const MAX_SIGHTINGS = 10;

interface Outcome {
  readonly plan: RemediationPlan | null;
  readonly approval: ApprovalStatus;
  readonly decision: ApprovalDecision | null;
  readonly status: IncidentStatus;
}

function asDecision(value: unknown): ApprovalDecision | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.approved !== 'boolean') return null;
  return {
    approved: v.approved,
    ...(typeof v.by === 'string' ? { by: v.by } : {}),
    ...(typeof v.comment === 'string' ? { comment: v.comment } : {}),
  };
}

/**
 * What happened at the remediation gate. The context may hold the plan, the human's decision,
 * or both (`{ ...plan, approval }`); with no decision recorded, a plan means the gate passed and
 * no plan past triage means the remediation never ran (rejected or skipped).
 */
export function remediationOutcome(input: ReporterInput): Outcome {
  const raw = input.remediate ?? null;
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const plan = Array.isArray(r.actions) ? (raw as RemediationPlan) : null;
  const decision = asDecision(input.approval ?? null) ?? asDecision(raw) ?? asDecision(r.approval);
  if (input.triage.severity === 'low' && raw === null) return { plan, approval: 'not-required', decision, status: 'closed-low-severity' };
  const approved = decision?.approved ?? plan !== null;
  return { plan, approval: approved ? 'approved' : 'rejected', decision, status: approved ? 'contained' : 'containment-rejected' };
}

const clip = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 3)}...` : text);
/** Table cells: no pipes or newlines, which would break the row. */
const cell = (text: string): string => clip(text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' '), 200);

function buildTimeline(input: ReporterInput, outcome: Outcome): TimelineEntry[] {
  const { alert, triage } = input;
  const logs = input.investigate?.logs ?? null;
  const intel = input.investigate?.intel ?? null;
  const { plan, approval, decision, status } = outcome;

  const timed: TimelineEntry[] = [{ at: alert.timestamp, event: `Alert ${alert.id} raised by ${alert.source}: ${alert.signature}` }];
  for (const snippet of triage.snippets.slice(0, MAX_LOG_EVENTS)) {
    const at = LEADING_TIMESTAMP.exec(snippet.text)?.[1];
    if (at !== undefined) timed.push({ at, event: `Alert log: ${snippet.text.slice(at.length).trim()}` });
  }
  for (const hit of (logs?.hits ?? []).filter((h) => h.kind !== 'host').slice(0, MAX_SIGHTINGS)) {
    timed.push({ at: hit.firstSeen, event: `First log sighting of ${hit.indicator} (${hit.count} hit(s) on ${hit.hosts.join(', ')}; last ${hit.lastSeen})` });
  }
  // Stable sort by time; unparseable times keep their place at the end.
  const when = (e: TimelineEntry): number => (e.at === null ? Number.POSITIVE_INFINITY : Date.parse(e.at) || Number.POSITIVE_INFINITY);
  timed.sort((a, b) => when(a) - when(b));

  const phases: TimelineEntry[] = [{ at: null, event: `Triage: ${triage.severity} ${triage.category} (score ${triage.score})` }];
  if (logs !== null || intel !== null) {
    const parts: string[] = [];
    if (logs !== null) parts.push(`${logs.totalMatches} log match(es) for ${logs.hits.length} indicator(s) in ${logs.corpus.lines} lines`);
    if (intel !== null) parts.push(`intel: ${intel.summary.malicious} malicious, ${intel.summary.suspicious} suspicious, ${intel.summary.unknown} unknown`);
    phases.push({ at: null, event: `Investigation: ${parts.join('; ')}` });
  }
  phases.push({ at: null, event: `Containment approval: ${approval}${decision?.by ? ` by ${decision.by}` : ''}${decision?.comment ? ` (${decision.comment})` : ''}` });
  if (plan !== null) phases.push({ at: null, event: `Containment drafted: ${plan.actions.length} action(s), business risk ${plan.risk}` });
  phases.push({ at: null, event: `Status: ${status}` });
  return [...timed, ...phases].map((e) => ({ at: e.at, event: clip(e.event, 600) })).slice(0, 100);
}

function indicatorTable(input: ReporterInput, verdicts: ReadonlyMap<string, IntelVerdict>): string[] {
  const hits = new Map((input.investigate?.logs?.hits ?? []).map((h) => [h.indicator, h.count]));
  const { ips, hashes, domains, users, hosts } = input.triage.indicators;
  const rows: [string, string][] = [
    ...ips.map((v): [string, string] => ['ip', v]),
    ...hashes.map((v): [string, string] => ['hash', v]),
    ...domains.map((v): [string, string] => ['domain', v]),
    ...users.map((v): [string, string] => ['user', v]),
    ...hosts.map((v): [string, string] => ['host', v]),
  ];
  if (rows.length === 0) return ['_No indicators extracted._'];
  const lines = ['| kind | indicator | intel | score | log hits |', '|---|---|---|---|---|'];
  for (const [kind, value] of rows) {
    const v = verdicts.get(value);
    const logHits = input.investigate?.logs ? String(hits.get(value) ?? 0) : 'n/a';
    lines.push(`| ${kind} | \`${cell(value)}\` | ${v?.verdict ?? 'n/a'}${v?.family ? ` (${cell(v.family)})` : ''} | ${v?.score ?? 'n/a'} | ${logHits} |`);
  }
  return lines;
}

/** Compile the report from everything the run gathered. */
export function buildReport(input: ReporterInput): ReporterOutput {
  const { alert, triage } = input;
  const intel = input.investigate?.intel ?? null;
  const outcome = remediationOutcome(input);
  const { plan, approval, decision, status } = outcome;
  const verdicts = new Map((intel?.verdicts ?? []).map((v) => [v.indicator, v]));
  const malicious = [...new Set((intel?.verdicts ?? []).filter((v) => v.verdict === 'malicious').map((v) => v.indicator))];
  const timeline = buildTimeline(input, outcome);
  const title = clip(`${alert.id}: ${alert.signature}`, 600);

  const summary: ReportSummary = {
    incidentId: alert.id,
    title,
    severity: triage.severity,
    category: triage.category,
    status,
    timeline,
    // Only approved actions count as taken; a rejected plan is shown in the markdown for reference.
    actions: approval === 'approved' ? (plan?.actions ?? []).map((a) => ({ kind: a.kind, target: a.target })) : [],
    approvals: [
      {
        step: 'remediate',
        status: approval,
        ...(decision?.by === undefined ? {} : { by: clip(decision.by, 256) }),
        ...(decision?.comment === undefined ? {} : { comment: clip(decision.comment, 2000) }),
      },
    ],
    indicators: {
      ips: triage.indicators.ips.length,
      hashes: triage.indicators.hashes.length,
      domains: triage.indicators.domains.length,
      users: triage.indicators.users.length,
      hosts: triage.indicators.hosts.length,
    },
    malicious,
  };

  const md: string[] = [
    `# Incident ${cell(title)}`,
    '',
    `**Severity:** ${triage.severity.toUpperCase()} · **Category:** ${triage.category} · **Status:** ${status} · **Host:** \`${cell(alert.host)}\``,
    '',
    '## Summary',
    '',
    triage.summary,
    '',
    `Triage score ${triage.score}: ${triage.reasons.join('; ') || 'no aggravating factors'}.`,
    '',
    '## Indicators',
    '',
    ...indicatorTable(input, verdicts),
    '',
    '## Timeline',
    '',
    ...timeline.map((e) => `- ${e.at === null ? '' : `\`${e.at}\` `}${e.event}`),
    '',
    '## Containment',
    '',
  ];
  if (approval === 'not-required') md.push('_Low severity: no containment needed._');
  else if (approval === 'rejected') md.push('_The approver rejected the containment plan; no action was taken._');
  else if (plan === null) md.push('_Containment approved; the plan itself is not in the run context._');
  if (plan !== null) {
    const heading = approval === 'approved' ? '' : ' (drafted, not applied)';
    md.push(`**Business risk: ${plan.risk}**${heading}. ${plan.rationale}`, '', '| # | action | target | reason |', '|---|---|---|---|');
    for (const a of plan.actions) md.push(`| ${a.id} | ${a.kind} | \`${cell(a.target)}\` | ${cell(a.reason)} |`);
  }
  const approvalLine = (a: ReportSummary['approvals'][number]): string =>
    `- \`${a.step}\`: ${a.status}${a.by ? ` by ${cell(a.by)}` : ''}${a.comment ? ` — ${cell(a.comment)}` : ''}`;
  md.push('', '## Approvals', '', ...summary.approvals.map(approvalLine), '');
  return { markdown: clip(md.join('\n'), 200_000), summary };
}

/**
 * Triage as a pure function of the alert: a points table (severity hint, category, volume, asset
 * criticality, artefacts) turned into a severity, with every point explained in `reasons`.
 */
import type { Alert, Category, Severity, Snippet, TriageOutput } from '../types.js';
import { extractIndicators } from './indicators.js';

/** First match wins, so the more specific categories come first. */
const CATEGORY_RULES: readonly [Category, RegExp][] = [
  ['ransomware', /ransom|files? encrypted|mass file (?:rename|encryption)|vssadmin\S* delete|shadow cop(?:y|ies) delet/i],
  ['credential-access', /lsass|mimikatz|sekurlsa|credential (?:dump|theft|access)|ntds\.dit|kerberoast|minidump/i],
  ['command-and-control', /beacon|\bc2\b|command[- ]and[- ]control|cobalt ?strike|dns tunnel/i],
  ['exfiltration', /exfil|large (?:upload|outbound transfer)|data transfer to/i],
  ['lateral-movement', /psexec|lateral|wmi ?exec|remote service creation|admin\$ share/i],
  ['brute-force', /brute|failed (?:login|logon|password)s?|password spray/i],
  ['phishing', /phish|malicious (?:attachment|link)|office macro/i],
  ['malware', /malware|trojan|virus|dropper|known[- ]bad hash|suspicious binary/i],
  ['reconnaissance', /scan|sweep|enumerat|recon|discovery/i],
];

const CATEGORY_POINTS: Record<Category, number> = {
  ransomware: 4,
  'credential-access': 3,
  'command-and-control': 3,
  exfiltration: 3,
  'lateral-movement': 3,
  malware: 2,
  'brute-force': 1,
  phishing: 1,
  'suspicious-activity': 1,
  reconnaissance: 0,
};

const LEVEL_POINTS: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

const PRIVILEGED_USER = /^(?:root|admin|administrator|domain[ _-]?admin.*|svc[-_].*|.*-adm|krbtgt)$/i;

/** Score thresholds, highest first. */
const THRESHOLDS: readonly [Severity, number][] = [
  ['critical', 11],
  ['high', 7],
  ['medium', 4],
];

const MAX_SNIPPETS = 20;

export function categorise(alert: Alert): Category {
  const text = `${alert.signature} ${alert.process ?? ''}`;
  for (const [category, pattern] of CATEGORY_RULES) if (pattern.test(text)) return category;
  return 'suspicious-activity';
}

export function severityForScore(score: number): Severity {
  for (const [severity, min] of THRESHOLDS) if (score >= min) return severity;
  return 'low';
}

/** Raw log lines that mention an indicator (the alert's own host excepted: it is on every line). */
function findSnippets(alert: Alert, needles: readonly string[]): Snippet[] {
  const snippets: Snippet[] = [];
  const logs = alert.raw_logs ?? [];
  for (let line = 0; line < logs.length && snippets.length < MAX_SNIPPETS; line++) {
    const text = logs[line]!;
    const lower = text.toLowerCase();
    const matched = needles.filter((n) => lower.includes(n)).slice(0, 20);
    if (matched.length > 0) snippets.push({ line, text: text.length > 500 ? `${text.slice(0, 497)}...` : text, matched });
  }
  return snippets;
}

/** Classify an alert: severity, category, indicators, explanatory summary and matching log lines. */
export function triageAlert(alert: Alert): TriageOutput {
  const indicators = extractIndicators(alert);
  const category = categorise(alert);
  const reasons: string[] = [];
  let score = 0;
  const add = (points: number, why: string): void => {
    if (points <= 0) return;
    score += points;
    reasons.push(`+${points} ${why}`);
  };

  add(alert.severity_hint === undefined ? 1 : LEVEL_POINTS[alert.severity_hint] * 2, `severity hint ${alert.severity_hint ?? 'absent'}`);
  add(CATEGORY_POINTS[category], `category ${category}`);
  const events = alert.event_count ?? 1;
  add(events >= 1000 ? 2 : events >= 100 ? 1 : 0, `${events} events`);
  const criticality = alert.asset_criticality ?? 'medium';
  add(LEVEL_POINTS[criticality], `asset criticality ${criticality}`);
  add(indicators.hashes.length > 0 ? 1 : 0, 'file hash observed');
  add(indicators.ips.length > 0 ? 1 : 0, 'routable IP involved');
  const privileged = indicators.users.filter((u) => PRIVILEGED_USER.test(u));
  add(privileged.length > 0 ? 2 : 0, `privileged account ${privileged.join(', ')}`);

  const severity = severityForScore(score);
  // Internal addresses are not indicators (nothing to block or look up) but do mark relevant lines.
  const internal = [alert.src_ip, alert.dst_ip].filter((ip): ip is string => ip !== undefined && !indicators.ips.includes(ip));
  const needles = [
    ...indicators.ips,
    ...internal,
    ...indicators.hashes,
    ...indicators.domains,
    ...indicators.users,
    ...indicators.hosts.filter((h) => h !== alert.host.toLowerCase()),
  ];
  const counts = [
    `${indicators.ips.length} IP(s)`,
    `${indicators.hashes.length} hash(es)`,
    `${indicators.domains.length} domain(s)`,
    `${indicators.users.length} user(s)`,
  ].join(', ');
  const who = alert.user === undefined ? '' : ` (user ${alert.user})`;
  const summary = `${severity.toUpperCase()} ${category} on ${alert.host}${who} from ${alert.source}: ${alert.signature}. Indicators: ${counts}.`;

  return {
    alertId: alert.id,
    severity,
    score,
    reasons,
    category,
    summary: summary.length > 1000 ? `${summary.slice(0, 997)}...` : summary,
    indicators,
    snippets: findSnippets(alert, needles),
  };
}

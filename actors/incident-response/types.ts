/**
 * Shapes that flow between the incident-response agents. The JSON Schemas in `schemas.ts`
 * describe the same shapes for validation at run time; keep the two in step.
 */

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export type Category =
  | 'ransomware'
  | 'credential-access'
  | 'command-and-control'
  | 'exfiltration'
  | 'lateral-movement'
  | 'brute-force'
  | 'phishing'
  | 'malware'
  | 'reconnaissance'
  | 'suspicious-activity';

/** An alert as a detection source (EDR, IDS, SIEM rule...) raises it. */
export interface Alert {
  readonly id: string;
  readonly source: string;
  readonly signature: string;
  readonly severity_hint?: Severity;
  readonly host: string;
  readonly user?: string;
  readonly src_ip?: string;
  readonly dst_ip?: string;
  /** ISO 8601 UTC, e.g. `2024-05-14T09:41:07Z`. */
  readonly timestamp: string;
  readonly process?: string;
  readonly hash?: string;
  /** How many raw events the detection folded into this alert. */
  readonly event_count?: number;
  readonly asset_criticality?: Severity;
  readonly raw_logs?: readonly string[];
}

/** Indicators of compromise, each list deduplicated in order of first appearance. */
export interface Indicators {
  /** Routable (non-RFC 1918, non-loopback) IPv4 addresses. */
  readonly ips: readonly string[];
  /** MD5, SHA-1 or SHA-256, lower case. */
  readonly hashes: readonly string[];
  readonly domains: readonly string[];
  readonly users: readonly string[];
  /** Hosts involved: the alert's host and any host named in its logs. */
  readonly hosts: readonly string[];
}

export type IndicatorKind = 'ip' | 'hash' | 'domain' | 'user' | 'host';

export interface Snippet {
  /** 0-based index into `alert.raw_logs`. */
  readonly line: number;
  readonly text: string;
  /** The indicators or keywords the line matched. */
  readonly matched: readonly string[];
}

export interface TriageInput {
  readonly alert: Alert;
}

export interface TriageOutput {
  readonly alertId: string;
  readonly severity: Severity;
  /** The points behind `severity`, for the report (higher is worse). */
  readonly score: number;
  readonly reasons: readonly string[];
  readonly category: Category;
  readonly summary: string;
  readonly indicators: Indicators;
  readonly snippets: readonly Snippet[];
}

export interface LogSearchInput {
  readonly alertId: string;
  readonly indicators: Indicators;
  /** The corpus covers the 24 hours before this instant (and one hour after). Default: derived from `alertId`. */
  readonly around?: string;
  /** Lines to generate. @defaultValue 44000 (~4 MB) */
  readonly lines?: number;
}

export interface LogHit {
  readonly indicator: string;
  readonly kind: IndicatorKind;
  readonly count: number;
  readonly hosts: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  /** Up to three matching lines, oldest first. */
  readonly samples: readonly string[];
}

export interface LogSearchOutput {
  readonly corpus: { readonly seed: number; readonly lines: number; readonly from: string; readonly to: string };
  readonly hits: readonly LogHit[];
  /** Indicators with no hit. */
  readonly misses: readonly string[];
  readonly totalMatches: number;
}

export type Verdict = 'malicious' | 'suspicious' | 'benign' | 'unknown';

/** One row of the bundled intel table. */
export interface IntelEntry {
  readonly indicator: string;
  readonly kind: 'ip' | 'hash' | 'domain';
  readonly verdict: Exclude<Verdict, 'unknown'>;
  /** 0 (harmless) to 100 (certainly malicious). */
  readonly score: number;
  readonly tags: readonly string[];
  readonly source: string;
  readonly lastSeen: string;
  readonly family?: string;
}

export interface IntelVerdict {
  readonly indicator: string;
  readonly kind: 'ip' | 'hash' | 'domain';
  readonly verdict: Verdict;
  readonly score: number;
  readonly tags: readonly string[];
  readonly source: string;
  /** The table entry that matched (a parent domain for a subdomain), or null. */
  readonly matchedOn: string | null;
  readonly family?: string;
}

export interface ThreatIntelInput {
  readonly indicators: Indicators;
}

export interface ThreatIntelOutput {
  readonly verdicts: readonly IntelVerdict[];
  readonly summary: {
    readonly malicious: number;
    readonly suspicious: number;
    readonly benign: number;
    readonly unknown: number;
    readonly maxScore: number;
  };
}

export type ActionKind =
  | 'isolate-host'
  | 'scan-host'
  | 'block-ip'
  | 'block-domain'
  | 'quarantine-file'
  | 'disable-account'
  | 'rotate-credentials'
  | 'monitor';

export interface ContainmentAction {
  /** `A1`, `A2`, ... in the order the actions should be applied. */
  readonly id: string;
  readonly kind: ActionKind;
  readonly target: string;
  readonly reason: string;
}

export interface RemediatorInput {
  readonly alert: Alert;
  readonly triage: TriageOutput;
  readonly logs?: LogSearchOutput | null;
  readonly intel?: ThreatIntelOutput | null;
}

export interface RemediationPlan {
  readonly incidentId: string;
  readonly severity: Severity;
  readonly actions: readonly ContainmentAction[];
  /** Business risk of applying the plan (outage, locked-out staff). */
  readonly risk: 'low' | 'medium' | 'high';
  readonly rationale: string;
}

export type UndoKind =
  | 'release-host'
  | 'unblock-ip'
  | 'unblock-domain'
  | 'restore-file'
  | 'enable-account';

export interface UndoOutput {
  readonly incidentId: string | null;
  /** Reversals, last action first (saga order). */
  readonly undone: readonly { readonly id: string; readonly kind: UndoKind; readonly target: string; readonly reverses: ActionKind }[];
  /** Actions with nothing to reverse (a rotated credential stays rotated). */
  readonly skipped: readonly { readonly id: string; readonly kind: ActionKind; readonly target: string; readonly reason: string }[];
}

/** A human's decision on an approval gate, as the workflow records it. */
export interface ApprovalDecision {
  readonly approved: boolean;
  readonly by?: string;
  readonly comment?: string;
}

export interface ReporterInput {
  readonly alert: Alert;
  readonly triage: TriageOutput;
  readonly investigate?: { readonly logs?: LogSearchOutput | null; readonly intel?: ThreatIntelOutput | null } | null;
  /**
   * What the context holds for the remediation step: the plan; or, once a human decided on the
   * gate, the decision (alone, or beside the plan as `approval`). Absent when it never ran.
   */
  readonly remediate?: RemediationPlan | ApprovalDecision | (RemediationPlan & { readonly approval?: ApprovalDecision }) | null;
  /** The human's decision on the remediation gate (the workflow passes `approvals.remediate`). */
  readonly approval?: ApprovalDecision | null;
}

export type ApprovalStatus = 'approved' | 'rejected' | 'not-required';

export type IncidentStatus = 'contained' | 'containment-rejected' | 'closed-low-severity';

export interface TimelineEntry {
  /** ISO timestamp, or null for a workflow phase with no recorded time. */
  readonly at: string | null;
  readonly event: string;
}

export interface ReportSummary {
  readonly incidentId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly category: Category;
  readonly status: IncidentStatus;
  readonly timeline: readonly TimelineEntry[];
  readonly actions: readonly { readonly kind: ActionKind; readonly target: string }[];
  readonly approvals: readonly { readonly step: string; readonly status: ApprovalStatus; readonly by?: string; readonly comment?: string }[];
  readonly indicators: { readonly ips: number; readonly hashes: number; readonly domains: number; readonly users: number; readonly hosts: number };
  readonly malicious: readonly string[];
}

export interface ReporterOutput {
  readonly markdown: string;
  readonly summary: ReportSummary;
}

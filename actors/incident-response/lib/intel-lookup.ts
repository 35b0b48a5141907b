/**
 * Looks indicators up in an intel table: IPs and hashes by exact match, domains by exact match
 * or, failing that, by their nearest listed parent domain.
 */
import type { Indicators, IntelEntry, IntelVerdict, ThreatIntelOutput } from '../types.js';
import { INTEL_TABLE } from './intel-table.js';

/** A subdomain of a listed domain inherits its verdict, a little less certain. */
const PARENT_MATCH_PENALTY = 5;

function verdictFrom(indicator: string, entry: IntelEntry, penalty = 0): IntelVerdict {
  return {
    indicator,
    kind: entry.kind,
    verdict: entry.verdict,
    score: Math.max(0, entry.score - penalty),
    tags: [...entry.tags],
    source: entry.source,
    matchedOn: entry.indicator,
    ...(entry.family === undefined ? {} : { family: entry.family }),
  };
}

function unknown(indicator: string, kind: IntelVerdict['kind']): IntelVerdict {
  return { indicator, kind, verdict: 'unknown', score: 0, tags: [], source: 'none', matchedOn: null };
}

/** Verdicts for every IP, hash and domain in `indicators` (users and hosts are not intel material). */
export function lookupIndicators(indicators: Indicators, table: readonly IntelEntry[] = INTEL_TABLE): ThreatIntelOutput {
  const byKey = new Map(table.map((e) => [`${e.kind}:${e.indicator}`, e]));
  const verdicts: IntelVerdict[] = [];

  for (const ip of indicators.ips) {
    const entry = byKey.get(`ip:${ip}`);
    verdicts.push(entry === undefined ? unknown(ip, 'ip') : verdictFrom(ip, entry));
  }
  for (const hash of indicators.hashes) {
    const entry = byKey.get(`hash:${hash.toLowerCase()}`);
    verdicts.push(entry === undefined ? unknown(hash, 'hash') : verdictFrom(hash, entry));
  }
  for (const domain of indicators.domains) {
    const labels = domain.toLowerCase().split('.');
    let found: IntelVerdict | undefined;
    // Walk up: a.b.evil.example, b.evil.example, evil.example (never the bare TLD).
    for (let i = 0; i < labels.length - 1 && found === undefined; i++) {
      const entry = byKey.get(`domain:${labels.slice(i).join('.')}`);
      if (entry !== undefined) found = verdictFrom(domain, entry, i === 0 ? 0 : PARENT_MATCH_PENALTY);
    }
    verdicts.push(found ?? unknown(domain, 'domain'));
  }

  const count = (v: IntelVerdict['verdict']): number => verdicts.filter((x) => x.verdict === v).length;
  return {
    verdicts,
    summary: {
      malicious: count('malicious'),
      suspicious: count('suspicious'),
      benign: count('benign'),
      unknown: count('unknown'),
      maxScore: verdicts.reduce((max, v) => Math.max(max, v.score), 0),
    },
  };
}

/**
 * Indicator extraction: pulls IPs, hashes, domains, users and hosts out of an alert and its raw
 * log lines, and builds the regular expressions the log search uses to find them again.
 */
import type { Alert, IndicatorKind, Indicators } from '../types.js';

const MAX_PER_KIND = 50;

const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d]|\.\d)/g;
const HASH = /(?<![A-Fa-f0-9])(?:[A-Fa-f0-9]{64}|[A-Fa-f0-9]{40}|[A-Fa-f0-9]{32})(?![A-Fa-f0-9])/g;
/** Only top-level domains that show up in alerts; keeps `comsvcs.dll` and `corp.local` out. */
const DOMAIN =
  /(?<![\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:example|com|net|org|io|ru|cn|xyz|top|info|biz|su|cc)(?![\w-]|\.[a-z0-9])/gi;
const USER_FIELD = /\b(?:user|username|account|TargetUserName|SubjectUserName)\s*[=:]\s*"?([A-Za-z0-9._@$\\-]{1,128})/g;
const HOST_FIELD = /\b(?:host|hostname|computer|dst_host|src_host)\s*[=:]\s*"?([A-Za-z0-9][A-Za-z0-9.-]{0,252})/g;

/** True for addresses that are not routable on the internet: RFC 1918, loopback, link-local, unspecified. */
export function isPrivateIp(ip: string): boolean {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

/** `CORP\J.Doe` and `j.doe@corp` become `j.doe`; machine accounts keep their `$`. */
export function normaliseUser(raw: string): string {
  const noDomain = raw.includes('\\') ? raw.slice(raw.lastIndexOf('\\') + 1) : raw;
  const local = noDomain.includes('@') && !noDomain.endsWith('@') ? noDomain.slice(0, noDomain.indexOf('@')) : noDomain;
  return local.toLowerCase();
}

class OrderedSet {
  readonly values: string[] = [];
  readonly #seen = new Set<string>();
  add(value: string | undefined): void {
    if (value === undefined || value === '' || this.#seen.has(value) || this.values.length >= MAX_PER_KIND) return;
    this.#seen.add(value);
    this.values.push(value);
  }
}

/** Every indicator in the alert's fields and raw logs, deduplicated in order of first appearance. */
export function extractIndicators(alert: Alert): Indicators {
  const ips = new OrderedSet();
  const hashes = new OrderedSet();
  const domains = new OrderedSet();
  const users = new OrderedSet();
  const hosts = new OrderedSet();

  const addIp = (ip: string | undefined): void => {
    if (ip !== undefined && !isPrivateIp(ip)) ips.add(ip);
  };
  addIp(alert.src_ip);
  addIp(alert.dst_ip);
  hashes.add(alert.hash?.toLowerCase());
  if (alert.user !== undefined) users.add(normaliseUser(alert.user));
  hosts.add(alert.host.toLowerCase());

  const texts = [alert.process ?? '', ...(alert.raw_logs ?? [])];
  for (const text of texts) {
    for (const m of text.matchAll(IPV4)) addIp(m[0]);
    for (const m of text.matchAll(HASH)) hashes.add(m[0].toLowerCase());
    for (const m of text.matchAll(DOMAIN)) domains.add(m[0].toLowerCase());
    for (const m of text.matchAll(USER_FIELD)) users.add(normaliseUser(m[1]!));
    for (const m of text.matchAll(HOST_FIELD)) hosts.add(m[1]!.toLowerCase());
  }
  return { ips: ips.values, hashes: hashes.values, domains: domains.values, users: users.values, hosts: hosts.values };
}

/** The indicators as `[kind, value]` pairs, in a stable order: ips, hashes, domains, users, hosts. */
export function listIndicators(indicators: Indicators): [IndicatorKind, string][] {
  return [
    ...indicators.ips.map((v) => ['ip', v] as [IndicatorKind, string]),
    ...indicators.hashes.map((v) => ['hash', v] as [IndicatorKind, string]),
    ...indicators.domains.map((v) => ['domain', v] as [IndicatorKind, string]),
    ...indicators.users.map((v) => ['user', v] as [IndicatorKind, string]),
    ...indicators.hosts.map((v) => ['host', v] as [IndicatorKind, string]),
  ];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A regular expression that finds one indicator in a log line without matching a longer token
 * that merely contains it (`10.0.0.1` must not match `10.0.0.12`). A domain also matches its
 * subdomains. Indicators are escaped, so user text never becomes a pattern.
 */
export function indicatorPattern(kind: IndicatorKind, value: string): RegExp {
  const body = escapeRegExp(value);
  switch (kind) {
    case 'ip':
      return new RegExp(`(?<![\\d.])${body}(?!\\d|\\.\\d)`);
    case 'hash':
      return new RegExp(`(?<![A-Fa-f0-9])${body}(?![A-Fa-f0-9])`, 'i');
    case 'domain':
      return new RegExp(`(?<![\\w.-])(?:[a-z0-9-]+\\.)*${body}(?![\\w-]|\\.[a-z0-9])`, 'i');
    case 'user':
    case 'host':
      return new RegExp(`(?<![\\w.$-])${body}(?![\\w$-]|\\.[a-z0-9])`, 'i');
  }
}

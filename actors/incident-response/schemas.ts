/**
 * JSON Schemas for the triage, log-search and threat-intel agents (the containment and report
 * agents' are in `containment-schemas.ts`). Outputs are strict (`additionalProperties: false`,
 * every `pattern` bounded by `maxLength`) so that a bug in an agent is a typed validation error,
 * never a quietly wrong report. Inputs accept extra alert fields, since real alerts carry more
 * than the crew reads.
 */
import { SEVERITY, CATEGORY, INDICATOR_KIND, INTEL_KIND, VERDICT, TIMESTAMP, IPV4, HASH, ANY_CASE_HASH, DOMAIN, USER, HOST, INDICATOR, ID, TEXT, LIST, UNIQUE_LIST, NULLABLE } from './schema-parts.js';

/** An alert as raised by a detection source. */
export const alertSchema = {
  type: 'object',
  required: ['id', 'source', 'signature', 'host', 'timestamp'],
  properties: {
    id: ID,
    source: { type: 'string', minLength: 1, maxLength: 64 },
    signature: { type: 'string', minLength: 1, maxLength: 500 },
    severity_hint: SEVERITY,
    host: { type: 'string', minLength: 1, maxLength: 253 },
    user: { type: 'string', minLength: 1, maxLength: 256 },
    src_ip: IPV4,
    dst_ip: IPV4,
    timestamp: TIMESTAMP,
    process: TEXT(1000),
    hash: ANY_CASE_HASH,
    event_count: { type: 'integer', minimum: 0 },
    asset_criticality: SEVERITY,
    raw_logs: LIST(TEXT(4000), 1000),
  },
} as const;

export const indicatorsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ips', 'hashes', 'domains', 'users', 'hosts'],
  properties: {
    ips: UNIQUE_LIST(IPV4, 50),
    hashes: UNIQUE_LIST(HASH, 50),
    domains: UNIQUE_LIST(DOMAIN, 50),
    users: UNIQUE_LIST(USER, 50),
    hosts: UNIQUE_LIST(HOST, 50),
  },
} as const;

export const triageInputSchema = {
  type: 'object',
  required: ['alert'],
  properties: { alert: alertSchema },
} as const;

export const triageOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['alertId', 'severity', 'score', 'reasons', 'category', 'summary', 'indicators', 'snippets'],
  properties: {
    alertId: ID,
    severity: SEVERITY,
    score: { type: 'integer', minimum: 0, maximum: 100 },
    reasons: LIST(TEXT(200), 20),
    category: CATEGORY,
    summary: { type: 'string', minLength: 1, maxLength: 1000 },
    indicators: indicatorsSchema,
    snippets: LIST(
      {
        type: 'object',
        additionalProperties: false,
        required: ['line', 'text', 'matched'],
        properties: { line: { type: 'integer', minimum: 0 }, text: TEXT(500), matched: LIST(INDICATOR, 20) },
      },
      20,
    ),
  },
} as const;

export const logSearchInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['alertId', 'indicators'],
  properties: {
    alertId: ID,
    indicators: indicatorsSchema,
    around: TIMESTAMP,
    lines: { type: 'integer', minimum: 100, maximum: 200_000 },
  },
} as const;

const logHitSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['indicator', 'kind', 'count', 'hosts', 'firstSeen', 'lastSeen', 'samples'],
  properties: {
    indicator: INDICATOR,
    kind: INDICATOR_KIND,
    count: { type: 'integer', minimum: 1 },
    hosts: UNIQUE_LIST(HOST, 100),
    firstSeen: TIMESTAMP,
    lastSeen: TIMESTAMP,
    samples: LIST(TEXT(1000), 3),
  },
} as const;

export const logSearchOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['corpus', 'hits', 'misses', 'totalMatches'],
  properties: {
    corpus: {
      type: 'object',
      additionalProperties: false,
      required: ['seed', 'lines', 'from', 'to'],
      properties: {
        seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
        lines: { type: 'integer', minimum: 0 },
        from: TIMESTAMP,
        to: TIMESTAMP,
      },
    },
    hits: LIST(logHitSchema, 250),
    misses: LIST(INDICATOR, 250),
    totalMatches: { type: 'integer', minimum: 0 },
  },
} as const;

export const threatIntelInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['indicators'],
  properties: { indicators: indicatorsSchema },
} as const;

export const threatIntelOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['verdicts', 'summary'],
  properties: {
    verdicts: LIST(
      {
        type: 'object',
        additionalProperties: false,
        required: ['indicator', 'kind', 'verdict', 'score', 'tags', 'source', 'matchedOn'],
        properties: {
          indicator: INDICATOR,
          kind: INTEL_KIND,
          verdict: VERDICT,
          score: { type: 'integer', minimum: 0, maximum: 100 },
          tags: LIST(TEXT(64), 20),
          source: TEXT(128),
          matchedOn: NULLABLE(INDICATOR),
          family: TEXT(64),
        },
      },
      150,
    ),
    summary: {
      type: 'object',
      additionalProperties: false,
      required: ['malicious', 'suspicious', 'benign', 'unknown', 'maxScore'],
      properties: {
        malicious: { type: 'integer', minimum: 0 },
        suspicious: { type: 'integer', minimum: 0 },
        benign: { type: 'integer', minimum: 0 },
        unknown: { type: 'integer', minimum: 0 },
        maxScore: { type: 'integer', minimum: 0, maximum: 100 },
      },
    },
  },
} as const;

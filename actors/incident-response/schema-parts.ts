/**
 * Building blocks of the incident-response JSON Schemas: enums, bounded strings (every
 * `pattern` paired with `maxLength`) and list helpers.
 *
 * Nullable values use `anyOf` with `{ type: 'null' }` rather than type unions, which Ajv's
 * strict mode only allows with `allowUnionTypes`.
 */

export const SEVERITY = { type: 'string', enum: ['low', 'medium', 'high', 'critical'] } as const;
export const CATEGORY = {
  type: 'string',
  enum: [
    'ransomware', 'credential-access', 'command-and-control', 'exfiltration', 'lateral-movement',
    'brute-force', 'phishing', 'malware', 'reconnaissance', 'suspicious-activity',
  ],
} as const;
export const ACTION_KIND = {
  type: 'string',
  enum: ['isolate-host', 'scan-host', 'block-ip', 'block-domain', 'quarantine-file', 'disable-account', 'rotate-credentials', 'monitor'],
} as const;
export const UNDO_KIND = { type: 'string', enum: ['release-host', 'unblock-ip', 'unblock-domain', 'restore-file', 'enable-account'] } as const;
export const INDICATOR_KIND = { type: 'string', enum: ['ip', 'hash', 'domain', 'user', 'host'] } as const;
export const INTEL_KIND = { type: 'string', enum: ['ip', 'hash', 'domain'] } as const;
export const VERDICT = { type: 'string', enum: ['malicious', 'suspicious', 'benign', 'unknown'] } as const;

export const TIMESTAMP = {
  type: 'string',
  maxLength: 35,
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?(?:Z|[+-]\\d{2}:\\d{2})$',
} as const;
export const IPV4 = {
  type: 'string',
  maxLength: 15,
  pattern: '^(?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)$',
} as const;
export const HASH = { type: 'string', maxLength: 64, pattern: '^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$' } as const;
export const ANY_CASE_HASH = { type: 'string', maxLength: 64, pattern: '^(?:[A-Fa-f0-9]{32}|[A-Fa-f0-9]{40}|[A-Fa-f0-9]{64})$' } as const;
export const DOMAIN = {
  type: 'string',
  maxLength: 253,
  pattern: '^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$',
} as const;
export const USER = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[a-z0-9._@$-]+$' } as const;
export const HOST = { type: 'string', minLength: 1, maxLength: 253, pattern: '^[a-z0-9][a-z0-9.-]*$' } as const;
export const INDICATOR = { type: 'string', minLength: 1, maxLength: 253 } as const;
export const ID = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' } as const;
export const TEXT = (max: number) => ({ type: 'string', maxLength: max }) as const;
export const LIST = (items: object, max = 200) => ({ type: 'array', maxItems: max, items }) as const;
export const UNIQUE_LIST = (items: object, max = 200) => ({ type: 'array', maxItems: max, uniqueItems: true, items }) as const;
export const NULLABLE = (schema: object) => ({ anyOf: [schema, { type: 'null' }] }) as const;

/**
 * JSON Schemas for the remediator, undo-containment and reporter agents. Their inputs gather
 * earlier steps' outputs, which may be absent (`null`) when a step did not run.
 */
import { SEVERITY, CATEGORY, ACTION_KIND, UNDO_KIND, TIMESTAMP, INDICATOR, ID, TEXT, LIST, UNIQUE_LIST, NULLABLE } from './schema-parts.js';
import { alertSchema, triageOutputSchema } from './schemas.js';

const actionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'kind', 'target', 'reason'],
  properties: {
    id: { type: 'string', maxLength: 8, pattern: '^A[1-9]\\d*$' },
    kind: ACTION_KIND,
    target: { type: 'string', minLength: 1, maxLength: 253 },
    reason: { type: 'string', minLength: 1, maxLength: 500 },
  },
} as const;

/** Optional pieces of the context may arrive absent, or as null from a mapping that found nothing. */
const LOOSE_OBJECT = { type: 'object' } as const;

export const remediatorInputSchema = {
  type: 'object',
  required: ['alert', 'triage'],
  properties: {
    alert: alertSchema,
    triage: triageOutputSchema,
    logs: NULLABLE(LOOSE_OBJECT),
    intel: NULLABLE(LOOSE_OBJECT),
  },
} as const;

export const remediationPlanSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['incidentId', 'severity', 'actions', 'risk', 'rationale'],
  properties: {
    incidentId: ID,
    severity: SEVERITY,
    actions: LIST(actionSchema, 300),
    risk: { type: 'string', enum: ['low', 'medium', 'high'] },
    rationale: { type: 'string', minLength: 1, maxLength: 1000 },
  },
} as const;

/** The compensation gets the remediation step's own output: a plan, or anything with `actions`. */
export const undoInputSchema = {
  type: 'object',
  required: ['actions'],
  properties: { incidentId: ID, actions: LIST(actionSchema, 300) },
} as const;

export const undoOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['incidentId', 'undone', 'skipped'],
  properties: {
    incidentId: NULLABLE(ID),
    undone: LIST(
      {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'kind', 'target', 'reverses'],
        properties: { id: actionSchema.properties.id, kind: UNDO_KIND, target: actionSchema.properties.target, reverses: ACTION_KIND },
      },
      300,
    ),
    skipped: LIST(actionSchema, 300),
  },
} as const;

export const reporterInputSchema = {
  type: 'object',
  required: ['alert', 'triage'],
  properties: {
    alert: alertSchema,
    triage: triageOutputSchema,
    investigate: NULLABLE({
      type: 'object',
      properties: { logs: NULLABLE(LOOSE_OBJECT), intel: NULLABLE(LOOSE_OBJECT) },
    }),
    remediate: NULLABLE(LOOSE_OBJECT),
    approval: NULLABLE(LOOSE_OBJECT),
  },
} as const;

export const reporterOutputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['markdown', 'summary'],
  properties: {
    markdown: { type: 'string', minLength: 1, maxLength: 200_000 },
    summary: {
      type: 'object',
      additionalProperties: false,
      required: ['incidentId', 'title', 'severity', 'category', 'status', 'timeline', 'actions', 'approvals', 'indicators', 'malicious'],
      properties: {
        incidentId: ID,
        title: { type: 'string', minLength: 1, maxLength: 600 },
        severity: SEVERITY,
        category: CATEGORY,
        status: { type: 'string', enum: ['contained', 'containment-rejected', 'closed-low-severity'] },
        timeline: LIST(
          {
            type: 'object',
            additionalProperties: false,
            required: ['at', 'event'],
            properties: { at: NULLABLE(TIMESTAMP), event: { type: 'string', minLength: 1, maxLength: 600 } },
          },
          100,
        ),
        actions: LIST(
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'target'],
            properties: { kind: ACTION_KIND, target: actionSchema.properties.target },
          },
          300,
        ),
        approvals: LIST(
          {
            type: 'object',
            additionalProperties: false,
            required: ['step', 'status'],
            properties: {
              step: TEXT(64),
              status: { type: 'string', enum: ['approved', 'rejected', 'not-required'] },
              by: TEXT(256),
              comment: TEXT(2000),
            },
          },
          10,
        ),
        indicators: {
          type: 'object',
          additionalProperties: false,
          required: ['ips', 'hashes', 'domains', 'users', 'hosts'],
          properties: {
            ips: { type: 'integer', minimum: 0 },
            hashes: { type: 'integer', minimum: 0 },
            domains: { type: 'integer', minimum: 0 },
            users: { type: 'integer', minimum: 0 },
            hosts: { type: 'integer', minimum: 0 },
          },
        },
        malicious: UNIQUE_LIST(INDICATOR, 150),
      },
    },
  },
} as const;

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, parseWorkflow, type Runtime } from 'troupe';
import * as support from '../../actors/customer-support/index.js';
import * as incident from '../../actors/incident-response/index.js';
import type { ReporterOutput } from '../../actors/incident-response/types.js';
import type { FeedbackOutput } from '../../actors/customer-support/types.js';
import { readActorJson } from './helpers.js';

const workflow = (path: string) => parseWorkflow(readFileSync(new URL(`../../actors/${path}`, import.meta.url), 'utf8'), path);

describe('shipped workflows', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it('parse and name only agents the crews ship', () => {
    const ids = new Set([...incident.agents, ...support.agents].map((a) => a.id));
    for (const path of ['incident-response/workflow.yaml', 'customer-support/workflow.yaml']) {
      const def = workflow(path);
      for (const step of Object.values(def.steps)) {
        const s = step as { agent?: string; parallel?: Record<string, { capability?: string }>; compensate?: string };
        if (s.agent !== undefined) expect(ids).toContain(s.agent);
        if (typeof s.compensate === 'string') expect(ids).toContain(s.compensate);
      }
    }
  });

  it('runs the incident-response demo end to end with auto-approval', async () => {
    runtime = await createRuntime({ agents: incident.agents, autoApprove: true });
    const run = await runtime.start(workflow('incident-response/workflow.yaml'), readActorJson('incident-response/sample-alert.json'));
    const report = (await run.result()) as ReporterOutput;
    expect(report.summary.severity).toBe('high');
    expect(report.summary.approvals[0]?.status).toBe('approved');
    expect(report.markdown).toContain('Incident ALERT-2024-0514-0042');
  });

  // Regression: an approval decision once replaced the gated step's output in the view.
  it('hands the approved remediation plan to the report', async () => {
    runtime = await createRuntime({ agents: incident.agents, autoApprove: true });
    const run = await runtime.start(workflow('incident-response/workflow.yaml'), readActorJson('incident-response/sample-alert.json'));
    const report = (await run.result()) as ReporterOutput;
    expect(report.summary.actions).toContainEqual({ kind: 'isolate-host', target: 'fin-ws-042' });
  });

  it('reports a rejected containment and takes no action', async () => {
    runtime = await createRuntime({ agents: incident.agents });
    const run = await runtime.start(workflow('incident-response/workflow.yaml'), readActorJson('incident-response/sample-alert.json'));
    await new Promise<void>((resolve) => {
      const off = run.on((e) => {
        if (e.type === 'approval.requested' && e.step === 'remediate') {
          off();
          resolve();
        }
      });
      if (run.pendingApprovals().includes('remediate')) resolve();
    });
    run.reject('remediate', { by: 'sam', comment: 'payroll server, isolate manually' });
    const report = (await run.result()) as ReporterOutput;
    expect(report.summary.status).toBe('containment-rejected');
    expect(report.summary.actions).toEqual([]);
  });

  it('skips investigation and approval for the low alert', async () => {
    runtime = await createRuntime({ agents: incident.agents });
    const run = await runtime.start(workflow('incident-response/workflow.yaml'), readActorJson('incident-response/low-alert.json'));
    const report = (await run.result()) as ReporterOutput;
    expect(report.summary.status).toBe('closed-low-severity');
  });

  it('runs the customer-support sample end to end with auto-approval', async () => {
    runtime = await createRuntime({ agents: support.agents, autoApprove: true });
    const run = await runtime.start(workflow('customer-support/workflow.yaml'), readActorJson('customer-support/sample-request.json'));
    const reply = (await run.result()) as FeedbackOutput;
    expect(reply.resolution).toBe('refund-issued');
    expect(reply.reply).toContain('$129.99');
  });

  it('escalates a rejected refund to billing', async () => {
    runtime = await createRuntime({ agents: support.agents });
    const run = await runtime.start(workflow('customer-support/workflow.yaml'), readActorJson('customer-support/sample-request.json'));
    await new Promise<void>((resolve) => {
      const off = run.on((e) => {
        if (e.type === 'approval.requested' && e.step === 'refund') {
          off();
          resolve();
        }
      });
      if (run.pendingApprovals().includes('refund')) resolve();
    });
    run.reject('refund', { by: 'lee' });
    const reply = (await run.result()) as FeedbackOutput;
    expect(reply.resolution).toBe('refund-under-review');
    expect(reply.reply).toMatch(/case number is ESC-[0-9A-F]{8}/);
  });

  it('needs no approval for a refund of 50 or less', async () => {
    runtime = await createRuntime({ agents: support.agents });
    const input = { message: 'Please refund order ORD-1188, the book had missing pages.', customer: { id: 'C-442', name: 'Ana' } };
    const run = await runtime.start(workflow('customer-support/workflow.yaml'), input);
    const reply = (await run.result()) as FeedbackOutput;
    expect(reply.resolution).toBe('refund-issued');
    expect(reply.reply).toContain('€45.00');
  });
});

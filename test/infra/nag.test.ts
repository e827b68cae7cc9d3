/**
 * cdk-nag's AwsSolutions pack over the whole app: zero unacknowledged findings, and every
 * acknowledgement carries a written reason. A control app proves the pack does report findings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthStack, type Synthesized } from './synth.js';

interface Report {
  pluginReports: Array<{ pluginName: string; violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
}
const readReport = (outdir: string) => JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Report;
const findings = (r: Report) =>
  r.pluginReports.flatMap((p) => p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${p.pluginName} ${v.ruleName} ${c.constructPath}`)));

let s: Synthesized;
beforeAll(() => {
  // Bundling is irrelevant to the rules (they read the template), so skip it to keep this file fast.
  s = synthStack({ bundle: false, nag: true, cfnValidate: true, preferRealLayer: false });
});
afterAll(() => s?.cleanup());

describe('cdk-nag AwsSolutions (+ aws-cdk-lib CloudFormation validation)', () => {
  it('reports no unacknowledged finding from either plugin', () => {
    const list = findings(readReport(s.outdir));
    expect(list).toEqual([]);
    expect(s.synthError).toBeUndefined();
  });

  it('every acknowledgement names its rule and gives a reason of at least a sentence', () => {
    const acks: Array<{ path: string; id: string; reason: string }> = [];
    for (const c of s.app.node.findAll() as IConstruct[]) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        // Recorded as { [qualified rule id]: reason }.
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) acks.push({ path: c.node.path, id, reason });
      }
    }
    expect(acks.length).toBeGreaterThan(0);
    for (const a of acks) {
      // aws-cdk-lib itself acknowledges CloudFormation-Validate rules in the VPC it generates (AZ literals, flow-log fields).
      expect(a.id, a.path).toMatch(/^((\w+::)?AwsSolutions-[A-Z]+\d+(\[.+\])?|CloudFormation-Validate::[EFW]\d{4})$/);
      expect(a.reason.trim().length, `${a.path} ${a.id}`).toBeGreaterThanOrEqual(40);
    }
  });

  it('does report findings on an unprotected bucket (control)', () => {
    const outdir = join(s.outdir, '..', 'control.out');
    const app = new App({ outdir });
    new Bucket(new Stack(app, 'Control'), 'Plain');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
    const rules = findings(readReport(outdir)).map((f) => f.split(' ')[1]);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});

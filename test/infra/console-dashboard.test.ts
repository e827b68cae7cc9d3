/**
 * CDK assertions on the operator console's static hosting (private bucket behind CloudFront with an
 * origin access control, the bundle and its config.json, the API's CORS for the console origin) and
 * on the operations dashboard, whose business-metric graphs must use exactly the dimension sets the
 * handlers' EMF documents carry.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EmfBusinessMetrics } from '../../functions/adapters/business-metrics.js';
import { BUSINESS_METRICS, type BusinessMetricName } from '../../functions/core/domain/ports.js';
import { FUNNEL_EVENT_TYPES } from '../../functions/core/domain/types.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lib/gift-recommender-stack.js';
import { SWAGGER_UI_FILES } from '../../lib/console-bundle.js';
import { synthStack, type Synthesized } from './synth.js';

let s: Synthesized;
type Res = { Type: string; Properties?: any };
let resources: Record<string, Res>;

beforeAll(() => {
  s = synthStack({ bundle: false, nag: false, cfnValidate: false, preferRealLayer: false });
  if (s.synthError) throw s.synthError;
  resources = s.json.Resources;
});
afterAll(() => s?.cleanup());

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const only = (type: string) => {
  const hits = ofType(type);
  expect(hits.map(([id]) => id), type).toHaveLength(1);
  return hits[0];
};
/** A CloudFormation value rendered to a string, references shown as `<LogicalId>` / `<LogicalId.Attr>`. */
function render(v: unknown): string {
  if (typeof v === 'string') return v;
  const o = v as Record<string, any>;
  if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
  if (o.Ref) return `<${o.Ref}>`;
  if (o['Fn::GetAtt']) return `<${o['Fn::GetAtt'].join('.')}>`;
  return JSON.stringify(v);
}

describe('operator console on S3 + CloudFront', () => {
  it('CloudFront serves index.html over HTTPS only, from a private bucket through an origin access control', () => {
    const [distId, dist] = only('AWS::CloudFront::Distribution');
    const cfg = dist.Properties.DistributionConfig;
    expect(cfg.DefaultRootObject).toBe('index.html');
    expect(cfg.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(cfg.Logging.Bucket).toBeDefined();
    expect(cfg.Origins).toHaveLength(1);
    expect(cfg.Origins[0].OriginAccessControlId).toBeDefined();
    expect(cfg.Origins[0].S3OriginConfig.OriginAccessIdentity).toBe('');
    const [, oac] = only('AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toMatchObject({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' });

    // The site bucket: all public access blocked; only this distribution may read it.
    const siteBucketId = render(cfg.Origins[0].DomainName).match(/<(\w+)\.RegionalDomainName>/)![1];
    expect(resources[siteBucketId].Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === siteBucketId)![1];
    const read = policy.Properties.PolicyDocument.Statement.find((st: any) => st.Principal?.Service === 'cloudfront.amazonaws.com');
    expect(read.Action).toBe('s3:GetObject');
    expect(render(read.Condition.StringEquals['AWS:SourceArn'])).toContain(`distribution/<${distId}>`);
  });

  it('answers with a content security policy that allows only the site, the API and the images bucket', () => {
    const [, policy] = only('AWS::CloudFront::ResponseHeadersPolicy');
    const csp = render(policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toMatch(/connect-src 'self' https:\/\/\*\.execute-api\./);
    expect(csp).toMatch(/img-src 'self' data: https:\/\/<\w*Images\w*\.RegionalDomainName>/);
    expect(policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.FrameOptions.FrameOption).toBe('DENY');
  });

  it('deploys the console files and Swagger UI, with a config.json naming the API stage', () => {
    const deployments = ofType('Custom::CDKBucketDeployment');
    expect(deployments).toHaveLength(2);
    const assetDirs = (d: Res) =>
      (d.Properties.SourceObjectKeys as unknown[]).map((k) => render(k).replace(/\.zip$/, '')).map((hash) => join(s.outdir, `asset.${hash}`));
    const [site] = deployments.map(([, d]) => d).filter((d) => d.Properties.DestinationBucketKeyPrefix === undefined);
    const [vendor] = deployments.map(([, d]) => d).filter((d) => d.Properties.DestinationBucketKeyPrefix === 'vendor/swagger-ui/');
    expect(site && vendor).toBeTruthy();

    const siteFiles = assetDirs(site).filter(existsSync).flatMap((dir) => readdirSync(dir));
    expect(siteFiles).toEqual(expect.arrayContaining(['index.html', 'app.js', 'style.css', 'api-reference.html', 'config.json']));
    // config.json's content is filled in at deploy time from the stage URL (a marker in the asset).
    const configDir = assetDirs(site).find((dir) => existsSync(join(dir, 'config.json')))!;
    const config = JSON.parse(readFileSync(join(configDir, 'config.json'), 'utf8')) as { apiUrl: string };
    // The markers are the stage URL's parts: https://{api id}.execute-api.{region}.{suffix}/.
    const [apiId] = only('AWS::ApiGatewayV2::Api');
    expect(config.apiUrl).toMatch(/^https:\/\/<<marker:0xbaba:0>>\.execute-api\.<<marker:0xbaba:1>>\.<<marker:0xbaba:2>>\//);
    expect(Object.values(site.Properties.SourceMarkers[1])).toEqual([{ Ref: apiId }, { Ref: 'AWS::Region' }, { Ref: 'AWS::URLSuffix' }]);
    expect(site.Properties.Prune ?? true).toBe(true);
    expect(site.Properties.Exclude).toEqual(['vendor/swagger-ui/*']);
    expect(site.Properties.DistributionPaths).toEqual(['/*']);

    const vendorFiles = assetDirs(vendor).flatMap((dir) => readdirSync(dir));
    expect(vendorFiles.sort()).toEqual([...SWAGGER_UI_FILES].sort());
  });

  it('the API allows the console origin for CORS, with the Authorization header', () => {
    const [distId] = only('AWS::CloudFront::Distribution');
    const [, api] = only('AWS::ApiGatewayV2::Api');
    const cors = api.Properties.CorsConfiguration;
    expect(cors.AllowOrigins.map(render)).toContain(`https://<${distId}.DomainName>`);
    expect(cors.AllowHeaders).toContain('authorization');
  });

  it('outputs the console URL', () => {
    const outputs = (s.template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    const [distId] = only('AWS::CloudFront::Distribution');
    expect(render(outputs.ConsoleUrl.Value)).toBe(`https://<${distId}.DomainName>`);
  });
});

/** The dashboard body as JSON, CloudFormation references rendered as placeholders. */
function dashboardBody(): { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> } {
  const [, dash] = only('AWS::CloudWatch::Dashboard');
  return JSON.parse(render(dash.Properties.DashboardBody).replace(/<([\w.]+)>/g, '$1'));
}

/** The dimension sets the Powertools EMF document of one data point carries, as `[name, dims[]]`. */
function emittedDimensions(name: BusinessMetricName): string[] {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    const metrics = new EmfBusinessMetrics(new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }));
    metrics.count(name, 1, 'x');
  } finally {
    spy.mockRestore();
  }
  const doc = JSON.parse(lines.join('').trim().split('\n').find((l) => l.includes('"_aws"'))!);
  return doc._aws.CloudWatchMetrics[0].Dimensions[0];
}

describe('operations dashboard', () => {
  it('graphs every business counter with the namespace and dimensions its EMF data points carry', () => {
    const body = dashboardBody();
    const metricRows = body.widgets.flatMap((w) => w.properties.metrics ?? []);
    for (const name of Object.keys(BUSINESS_METRICS) as BusinessMetricName[]) {
      const dims = emittedDimensions(name);
      expect(dims[0]).toBe('service');
      // A plain metric row: [namespace, name, dim1, value1, (dim2, value2,) {options}].
      const rows = metricRows.filter((r) => r[0] === METRICS_NAMESPACE && r[1] === name);
      const searches = metricRows.filter((r) => JSON.stringify(r).includes(`MetricName=\\"${name}\\"`));
      expect(rows.length + searches.length, name).toBeGreaterThan(0);
      for (const r of rows) {
        const pairs = r.slice(2).filter((x) => typeof x === 'string') as string[];
        const graphed = Object.fromEntries(pairs.flatMap((k, i) => (i % 2 === 0 ? [[k, pairs[i + 1]]] : [])));
        expect(Object.keys(graphed).sort(), name).toEqual([...dims].sort());
        expect(graphed.service).toBe(SERVICE_NAME);
      }
      for (const r of searches) expect(JSON.stringify(r), name).toContain(`{${METRICS_NAMESPACE},${dims.join(',')}}`);
    }
  });

  it('shows attributed events for every funnel event type beside the impressions, and their rate', () => {
    const body = dashboardBody();
    const rows = body.widgets.flatMap((w) => w.properties.metrics ?? []);
    for (const type of FUNNEL_EVENT_TYPES) {
      expect(rows.some((r) => r[1] === 'AttributedEvents' && r.includes('eventType') && r.includes(type)), type).toBe(true);
      expect(rows.some((r) => JSON.stringify(r).includes(`100 * FILL(${type}, 0) / impressions`)), type).toBe(true);
    }
    const titles = body.widgets.map((w) => w.properties.title);
    expect(titles).toEqual(expect.arrayContaining(['API latency (ms)', 'Recommendations served', 'Attributed events per 100 impressions']));
  });

  it('outputs the dashboard name', () => {
    const outputs = (s.template.toJSON() as { Outputs: Record<string, { Value: unknown }> }).Outputs;
    const [dashId] = only('AWS::CloudWatch::Dashboard');
    expect(render(outputs.DashboardName.Value)).toBe(`<${dashId}>`);
  });
});

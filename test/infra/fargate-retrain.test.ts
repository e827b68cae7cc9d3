/**
 * The retrain beyond Lambda in the synthesized stack: the Fargate task (size, image, environment),
 * its role (read the exports prefix, write the models prefix and the pointer, nothing else), the
 * Step Functions chooser (count → Lambda, or export the three tables → run the task), and that
 * synth stages the Docker context without building it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthStack, REPO_ROOT, type Synthesized } from './synth.js';
import { RETRAIN_TASK_SIZE, EXPORTS_PREFIX } from '../../lib/fargate-retrain.js';

let s: Synthesized;
let resources: Synthesized['json']['Resources'];
beforeAll(() => {
  s = synthStack({ bundle: false, nag: false, cfnValidate: false, preferRealLayer: false, context: { fargateRetrainThreshold: 2_500_000 } });
  expect(s.synthError).toBeUndefined();
  resources = s.json.Resources;
});
afterAll(() => s?.cleanup());

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const one = (type: string, prefix: string) => {
  const hits = ofType(type).filter(([id]) => id.startsWith(prefix));
  expect(hits, `${type} ${prefix}`).toHaveLength(1);
  return hits[0];
};
const statementsOf = (roleId: string) =>
  ofType('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown; Condition?: unknown }[]);
const actions = (st: { Action: string | string[] }) => [st.Action].flat();

describe('retrain on Fargate', () => {
  it('one Fargate task sized from the benchmarks, its image an asset built from the Dockerfile, logs to its own group', () => {
    const [, task] = one('AWS::ECS::TaskDefinition', 'FargateRetrainTask');
    expect(task.Properties).toMatchObject({ Cpu: String(RETRAIN_TASK_SIZE.cpu), Memory: String(RETRAIN_TASK_SIZE.memoryMiB), RequiresCompatibilities: ['FARGATE'], NetworkMode: 'awsvpc' });
    const [container] = task.Properties.ContainerDefinitions;
    expect(JSON.stringify(container.Image)).toContain('container-assets');
    const env = Object.fromEntries(container.Environment.map((e: { Name: string; Value: unknown }) => [e.Name, e.Value]));
    expect(env.ALS_THREADS).toBe(String(RETRAIN_TASK_SIZE.cpu / 1024));
    for (const key of ['INTERACTIONS_TABLE', 'PRODUCTS_TABLE', 'USERS_TABLE', 'MODEL_REGISTRY_TABLE', 'MODELS_BUCKET']) expect(env[key], key).toBeDefined();
    expect(container.LogConfiguration.LogDriver).toBe('awslogs');
  });

  it('synth stages the Docker context (sources only) without a Docker build', () => {
    const assets = JSON.parse(readFileSync(join(s.outdir, 'GiftTest.assets.json'), 'utf8'));
    const images = Object.values(assets.dockerImages ?? {}) as { source: { directory: string; dockerFile?: string } }[];
    expect(images).toHaveLength(1);
    const dir = join(s.outdir, images[0].source.directory);
    expect(readdirSync(dir).sort()).toEqual(['.dockerignore', 'Dockerfile', 'bin', 'functions', 'lib', 'package-lock.json', 'package.json', 'tsconfig.json']);
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8')).toMatch(/retrain-bundle\.ts[\s\S]*ENTRYPOINT \["node", "retrain\.mjs"\]/);
  });

  it("the task role reads the exports prefix, writes the models prefix and the pointer, checks uploaded text vectors under content-models/, and nothing else", () => {
    const [, task] = one('AWS::ECS::TaskDefinition', 'FargateRetrainTask');
    const st = statementsOf(task.Properties.TaskRoleArn['Fn::GetAtt'][0]);
    const bucket = one('AWS::S3::Bucket', 'BucketsModels')[0];
    const registry = one('AWS::DynamoDB::GlobalTable', 'TablesModelRegistry')[0];
    const obj = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${prefix}*`]] });
    expect(st).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 's3:GetObject', Resource: obj(EXPORTS_PREFIX) }),
        expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject'], Resource: obj('models/') }),
        expect.objectContaining({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] }, Condition: { StringLike: { 's3:prefix': [`${EXPORTS_PREFIX}*`, 'models/*', 'content-models/*'] } } }),
        expect.objectContaining({ Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: obj('content-models/') }),
        expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: { 'Fn::GetAtt': [registry, 'Arn'] } }),
      ]),
    );
    expect(st).toHaveLength(5);
    // Deleting is allowed under content-models/ only (an adopted or rejected upload leaves incoming/).
    const deletes = st.filter((x) => actions(x).some((a) => /Delete/.test(a)));
    expect(deletes.map((x) => x.Resource)).toEqual([obj('content-models/')]);
    expect(st.flatMap(actions).filter((a) => a.includes('*') || /Scan|Query|Export/.test(a))).toEqual([]);
  });

  it('the chooser counts interactions, then invokes the Lambda below the threshold or exports the three tables and runs the task', () => {
    const [smId, sm] = one('AWS::StepFunctions::StateMachine', 'FargateRetrainChooser');
    const def = JSON.stringify(sm.Properties.DefinitionString);
    expect(def).toContain(':states:::aws-sdk:dynamodb:describeTable');
    expect(def).toMatch(/NumericGreaterThanEquals\\":2500000/);
    expect(def.match(/aws-sdk:dynamodb:exportTableToPointInTime/g)).toHaveLength(3);
    expect(def.match(/aws-sdk:dynamodb:describeExport/g)).toHaveLength(3);
    expect(def).toContain('DYNAMODB_JSON');
    expect(def).toContain(':states:::ecs:runTask.sync');
    expect(def).toContain('RETRAIN_EXPORT');
    expect(def).toContain(':states:::lambda:invoke');
    expect(def).toContain('\\"InvocationType\\":\\"Event\\"');
    const st = statementsOf(sm.Properties.RoleArn['Fn::GetAtt'][0]);
    const exportResources = st.filter((x) => actions(x).includes('dynamodb:ExportTableToPointInTime')).flatMap((x) => [x.Resource].flat());
    const tableIds = ['TablesInteractions', 'TablesProducts', 'TablesUsers'].map((p) => one('AWS::DynamoDB::GlobalTable', p)[0]);
    expect(exportResources).toEqual(tableIds.map((t) => ({ 'Fn::GetAtt': [t, 'Arn'] })));
    expect(st.some((x) => actions(x).includes('ecs:RunTask'))).toBe(true);
    expect(st.some((x) => actions(x).includes('lambda:InvokeFunction'))).toBe(true);
    const put = st.find((x) => actions(x).includes('s3:PutObject'))!;
    expect(JSON.stringify(put.Resource)).toContain(`/${EXPORTS_PREFIX}*`);
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties).filter((a) => a.Namespace === 'AWS/States');
    expect(alarms.map((a) => a.MetricName).sort()).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    for (const a of alarms) expect(a.Dimensions[0].Value).toEqual({ Ref: smId });
  });
});

import { Duration, RemovalPolicy, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { FlowLogDestination, FlowLogTrafficType, GatewayVpcEndpointAwsService, SubnetType, Vpc, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Cluster, ContainerImage, ContainerInsights, CpuArchitecture, FargatePlatformVersion, FargateTaskDefinition, LogDriver, OperatingSystemFamily } from 'aws-cdk-lib/aws-ecs';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  Choice,
  Condition,
  DefinitionBody,
  Fail,
  IntegrationPattern,
  JsonPath,
  LogLevel,
  Parallel,
  StateMachine,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import { CallAwsService, EcsFargateLaunchTarget, EcsRunTask, LambdaInvocationType, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, type IConstruct } from 'constructs';

/** Where table exports land in the models bucket; the task reads only under it. */
export const EXPORTS_PREFIX = 'exports/';

/**
 * The container's size, from `npm run bench:retrain` (docs/deploy.md › Retrain beyond Lambda): the job's
 * peak RSS grows ~0.8 GB per million interactions and its time with the cores, so 8 vCPU / 32 GB
 * keeps 10 M interactions (~9 GB RSS measured from 1 M, with the export held in memory as events)
 * well inside memory and spreads the ALS over every vCPU.
 */
export const RETRAIN_TASK_SIZE = { cpu: 8192, memoryMiB: 32768 } as const;

/** Options for {@link FargateRetrain}. */
export interface FargateRetrainProps {
  /** The retrain Lambda, invoked (asynchronously) for data small enough for it. */
  readonly retrainFunction: IFunction;
  readonly tables: { interactions: ITableV2; products: ITableV2; users: ITableV2; modelRegistry: ITableV2 };
  /** Holds the exports (under {@link EXPORTS_PREFIX}) and the model versions (under `modelsPrefix`). */
  readonly bucket: Bucket;
  readonly modelsPrefix: string;
  /** The image and text models' prefix: the task checks uploaded text vectors under it, as the retrain Lambda does. */
  readonly contentModelsPrefix: string;
  /** Repository root: the Docker build context (see .dockerignore). */
  readonly projectRoot: string;
  /** The containers' environment (table and bucket names, as the Lambdas get them). */
  readonly environment: Record<string, string>;
  readonly logRetention: RetentionDays;
  /** Interaction count from which Fargate runs the retrain. */
  readonly fargateThreshold: number;
}

/**
 * The retrain beyond Lambda. A Step Functions chooser reads the interactions table's item count:
 * below the threshold it invokes the retrain Lambda; from it, it exports the interactions,
 * products and users tables to S3 (ExportTableToPointInTime, no read capacity used), waits for the
 * exports, and runs the retrain container on Fargate over them, which writes the version through
 * the same ModelStore, gate and pointer swap. Failures and timeouts of the chooser raise alarms.
 */
export class FargateRetrain extends Construct {
  readonly stateMachine: StateMachine;
  readonly taskDefinition: FargateTaskDefinition;
  readonly cluster: Cluster;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: FargateRetrainProps) {
    super(scope, id);
    // RunTask on this task definition's ARN rather than on every revision of its family (`family:*`).
    this.node.setContext('@aws-cdk/aws-stepfunctions-tasks:fixRunEcsTaskPolicy', true);
    const { tables, bucket } = props;

    // Public subnets only, no NAT: the task reaches ECR, S3 and DynamoDB over the internet gateway (S3
    // and DynamoDB through gateway endpoints), with no inbound rule.
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 }, DynamoDB: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.REJECT });
    const securityGroup = new SecurityGroup(this, 'TaskSecurityGroup', { vpc, description: 'retrain task: outbound only', allowAllOutbound: true });

    this.cluster = new Cluster(this, 'Cluster', { vpc, containerInsightsV2: ContainerInsights.ENABLED });
    this.taskDefinition = new FargateTaskDefinition(this, 'Task', {
      cpu: RETRAIN_TASK_SIZE.cpu,
      memoryLimitMiB: RETRAIN_TASK_SIZE.memoryMiB,
      runtimePlatform: { cpuArchitecture: CpuArchitecture.X86_64, operatingSystemFamily: OperatingSystemFamily.LINUX },
    });
    const logs = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const container = this.taskDefinition.addContainer('retrain', {
      // Built from the Dockerfile on deploy; synth only stages the context (no Docker engine needed).
      image: ContainerImage.fromAsset(props.projectRoot, { file: 'Dockerfile', platform: Platform.LINUX_AMD64 }),
      logging: LogDriver.awsLogs({ logGroup: logs, streamPrefix: 'retrain' }),
      environment: { ...props.environment, ALS_THREADS: String(RETRAIN_TASK_SIZE.cpu / 1024) },
    });

    // The task role: read the exports prefix, write versions under the models prefix, move the pointer.
    const role = this.taskDefinition.taskRole;
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${EXPORTS_PREFIX}*`)] }));
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${EXPORTS_PREFIX}*`, `${props.modelsPrefix}*`, `${props.contentModelsPrefix}*`] } },
      }),
    );
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject'], resources: [bucket.arnForObjects(`${props.modelsPrefix}*`)] }));
    // Uploaded text vectors: read and remove incoming/, write a version or a rejection record.
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: [bucket.arnForObjects(`${props.contentModelsPrefix}*`)] }));
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [tables.modelRegistry.tableArn] }));

    // The chooser.
    const count = new CallAwsService(this, 'CountInteractions', {
      service: 'dynamodb',
      action: 'describeTable',
      parameters: { TableName: tables.interactions.tableName },
      iamResources: [tables.interactions.tableArn],
      resultSelector: { 'interactions.$': '$.Table.ItemCount' },
      resultPath: '$.count',
    });
    const onLambda = new LambdaInvoke(this, 'RetrainOnLambda', {
      lambdaFunction: props.retrainFunction,
      invocationType: LambdaInvocationType.EVENT,
      payload: TaskInput.fromObject({ source: 'retrain-chooser', 'interactions.$': '$.count.interactions' }),
      resultPath: JsonPath.DISCARD,
    });
    const runPrefix = JsonPath.format(`${EXPORTS_PREFIX}{}/`, JsonPath.stringAt('$$.Execution.Name'));
    const exportOne = (name: string, table: ITableV2) => {
      const start = new CallAwsService(this, `Export${name}`, {
        service: 'dynamodb',
        action: 'exportTableToPointInTime',
        parameters: { TableArn: table.tableArn, S3Bucket: bucket.bucketName, S3Prefix: runPrefix, ExportFormat: 'DYNAMODB_JSON' },
        iamResources: [table.tableArn],
        iamAction: 'dynamodb:ExportTableToPointInTime',
        resultSelector: { 'arn.$': '$.ExportDescription.ExportArn' },
        resultPath: '$.export',
      });
      const describe = new CallAwsService(this, `Describe${name}Export`, {
        service: 'dynamodb',
        action: 'describeExport',
        parameters: { 'ExportArn.$': '$.export.arn' },
        iamResources: [`${table.tableArn}/export/*`],
        iamAction: 'dynamodb:DescribeExport',
        resultSelector: { 'status.$': '$.ExportDescription.ExportStatus' },
        resultPath: '$.status',
      });
      const wait = new Wait(this, `Wait${name}Export`, { time: WaitTime.duration(Duration.minutes(1)) });
      const done = new Choice(this, `${name}Exported?`)
        .when(Condition.stringEquals('$.status.status', 'COMPLETED'), new Succeed(this, `${name}Exported`))
        .when(Condition.stringEquals('$.status.status', 'FAILED'), new Fail(this, `${name}ExportFailed`, { error: 'ExportFailed', cause: `export of the ${name} table failed` }))
        .otherwise(wait);
      return start.next(wait.next(describe.next(done)));
    };
    const exports = new Parallel(this, 'ExportTables', { resultPath: JsonPath.DISCARD })
      .branch(exportOne('Interactions', tables.interactions))
      .branch(exportOne('Products', tables.products))
      .branch(exportOne('Users', tables.users));
    const onFargate = new EcsRunTask(this, 'RetrainOnFargate', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      launchTarget: new EcsFargateLaunchTarget({ platformVersion: FargatePlatformVersion.LATEST }),
      integrationPattern: IntegrationPattern.RUN_JOB,
      assignPublicIp: true,
      subnets: { subnetType: SubnetType.PUBLIC },
      securityGroups: [securityGroup],
      containerOverrides: [
        {
          containerDefinition: container,
          environment: [{ name: 'RETRAIN_EXPORT', value: JsonPath.format(`s3://${bucket.bucketName}/{}`, runPrefix) }],
        },
      ],
      taskTimeout: Timeout.duration(Duration.hours(4)),
      resultPath: JsonPath.DISCARD,
    });
    const definition = count.next(
      new Choice(this, 'LambdaOrFargate')
        .when(Condition.numberGreaterThanEquals('$.count.interactions', props.fargateThreshold), exports.next(onFargate))
        .otherwise(onLambda),
    );
    // The export writes into the bucket with the caller's rights: the state machine may put objects under exports/ only.
    const machineLogs = new LogGroup(this, 'ChooserLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.stateMachine = new StateMachine(this, 'Chooser', {
      definitionBody: DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(6),
      tracingEnabled: true,
      logs: { destination: machineLogs, level: LogLevel.ALL, includeExecutionData: false },
      comment: `Retrain on Lambda below ${props.fargateThreshold} interactions, else on Fargate over a table export`,
    });
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'], resources: [bucket.arnForObjects(`${EXPORTS_PREFIX}*`)] }),
    );

    const stack = Stack.of(this);
    const ref = (c: IConstruct) => stack.resolve(stack.getLogicalId(c.node.defaultChild as CfnElement)) as string;
    const iam5 = (c: IConstruct, resources: string[], reason: string) => {
      for (const r of resources) Validations.of(c).acknowledge({ id: `AwsSolutions-IAM5[Resource::${r}]`, reason });
    };
    Validations.of(this.taskDefinition).acknowledge({ id: 'AwsSolutions-ECS2', reason: 'Table and bucket names (not secrets) are plain environment variables, as for the Lambdas.' });
    iam5(
      role,
      [`<${ref(bucket)}.Arn>/${EXPORTS_PREFIX}*`, `<${ref(bucket)}.Arn>/${props.modelsPrefix}*`, `<${ref(bucket)}.Arn>/${props.contentModelsPrefix}*`],
      `Object-level S3 actions name objects by key pattern: only the ${EXPORTS_PREFIX}, ${props.modelsPrefix} and ${props.contentModelsPrefix} prefixes of one bucket.`,
    );
    iam5(this.taskDefinition, ['*'], 'ecr:GetAuthorizationToken has no resource-level permission (CDK-generated execution role; the image pull itself is limited to the asset repository).');
    iam5(
      this.stateMachine,
      [
        ...[tables.interactions, tables.products, tables.users].map((t) => `<${ref(t)}.Arn>/export/*`),
        `<${ref(bucket)}.Arn>/${EXPORTS_PREFIX}*`,
        `<${ref(props.retrainFunction)}.Arn>:*`,
        '*',
      ],
      'Export ARNs are minted per run (table/export/*); exports are written under the exports/ prefix only; Lambda invoke covers the function\'s versions; ecs:DescribeTasks/StopTask and X-Ray take no resource.',
    );
  }

  /** Alarms for a chooser run that fails (an export, the task, the Lambda invoke) or times out. */
  addAlarms(action: IAlarmAction): void {
    for (const [id, metric, what] of [
      ['ChooserFailed', this.stateMachine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }), 'failed'],
      ['ChooserTimedOut', this.stateMachine.metricTimedOut({ period: Duration.minutes(5), statistic: 'Sum' }), 'timed out'],
    ] as const) {
      const alarm = new Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: `retrain chooser ${what} (an export, the Fargate task or the Lambda invoke): the serving model was kept; see the chooser's execution history and the retrain task's log group`,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }
  }
}

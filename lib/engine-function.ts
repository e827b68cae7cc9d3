import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  type ILayerVersion,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import { BUNDLE_TARGET, EXTERNAL_MODULES, MAIN_FIELDS, REQUIRE_BANNER, workerBundleCommands } from './bundle-options.js';

/** Options for {@link EngineFunction}. */
export interface EngineFunctionProps {
  /** Absolute path of the TypeScript entry exporting `handler`. */
  readonly entry: string;
  /** Repository root: esbuild's working dir, `package-lock.json` and `tsconfig.json` live here. */
  readonly projectRoot: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly environment: Record<string, string>;
  readonly layers: ILayerVersion[];
  readonly logRetention: RetentionDays;
  /** Emit the ALS worker-thread bundle beside the handler (functions that train). */
  readonly trainsModels?: boolean;
  /** Reserved concurrency (a ceiling and a guarantee); unset: the account's unreserved pool. */
  readonly reservedConcurrency?: number;
}

/**
 * One of the engine's Lambdas, built the same way for all seven: nodejs22.x on x86_64 (the layer's
 * binaries are linux-x64), bundled locally by the project's esbuild to minified ESM (no Docker),
 * JSON logs into its own log group with a fixed retention.
 */
export class EngineFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
  /** The execution role: logs to its own group only; the stack adds exactly the data grants it needs. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: EngineFunctionProps) {
    super(scope, id);
    if (!existsSync(props.entry)) {
      throw new Error(`Lambda entry ${props.entry} does not exist (each function folder must have handler.ts exporting handler)`);
    }
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Own role instead of AWSLambdaBasicExecutionRole, whose logs actions are on every log group ("*").
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'gift-recommender Lambda execution role',
    });
    this.logGroup.grantWrite(this.role);
    this.fn = new NodejsFunction(this, 'Function', {
      role: this.role,
      entry: props.entry,
      handler: 'handler',
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.X86_64,
      description: props.description,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrency,
      layers: props.layers.length > 0 ? props.layers : undefined,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE_TARGET,
        platform: 'node',
        mainFields: MAIN_FIELDS,
        banner: REQUIRE_BANNER,
        externalModules: EXTERNAL_MODULES,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        tsconfig: join(props.projectRoot, 'tsconfig.json'),
        forceDockerBundling: false,
        commandHooks: props.trainsModels
          ? {
              beforeBundling: () => [],
              beforeInstall: () => [],
              afterBundling: (_inputDir: string, outputDir: string) => workerBundleCommands(props.projectRoot, outputDir),
            }
          : undefined,
      },
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'nodejs22.x is pinned on purpose: the layer\'s onnxruntime-node/sharp binaries and the bundles target Node 22; move runtime and layer together.',
    });
  }
}

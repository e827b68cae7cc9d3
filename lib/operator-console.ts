import { Aws, Duration, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Bucket, ObjectOwnership, type CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { secureBucketProps } from './buckets.js';
import { CONSOLE_DIR, SWAGGER_UI_DIR, SWAGGER_UI_FILES, SWAGGER_UI_PREFIX } from './console-bundle.js';

/** Options for {@link OperatorConsole}. */
export interface OperatorConsoleProps {
  /** The bucket product photos are downloaded from (presigned GET): allowed as an image source. */
  readonly imagesBucket: IBucket;
  /** Where the console bucket's server access logs go. */
  readonly accessLogs: IBucket;
  /** Keep the bucket when the stack goes away. */
  readonly retainData: boolean;
}

/**
 * The operator console as a static site: the same files `npm start` serves at `/` (`console/` plus
 * Swagger UI's assets, see console-bundle.ts) in a private bucket, read only by CloudFront through
 * an origin access control, HTTPS only, with security headers. `config.json` beside the files names
 * the API; the console sends the operator's pasted token as a Bearer header, so it has exactly the
 * API's auth — CloudFront serves files, it authorizes nothing.
 *
 * Built in two steps because the API's CORS must name the distribution's origin: the distribution
 * first ({@link origin}), then the API, then {@link deployFiles} with the API's URL.
 */
export class OperatorConsole extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>`: the origin the API must allow. */
  readonly origin: string;

  constructor(scope: Construct, id: string, props: OperatorConsoleProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Site', {
      ...secureBucketProps(props.retainData),
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'console-bucket/',
    });

    // Any HTTP API of this region (the console's settings can point at another stage); naming this
    // API's id here would make the API's CORS and this policy depend on each other.
    const apiOrigin = `https://*.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'gift-recommender console: CSP allowing only this site, the API and the images bucket',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          // Swagger UI sets inline styles; no inline or remote scripts anywhere.
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            `img-src 'self' data: https://${props.imagesBucket.bucketRegionalDomainName}`,
            `connect-src 'self' ${apiOrigin}`,
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
          ].join('; '),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });

    // CloudFront's standard logs are delivered with an object ACL, so they need a bucket that accepts
    // ACLs; the engine's other buckets have them disabled.
    const cloudFrontLogs = new Bucket(this, 'CloudFrontLogs', {
      ...secureBucketProps(props.retainData),
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(cloudFrontLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket only receives CloudFront access logs; logging access to the log bucket itself would only log log delivery.',
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'gift-recommender operator console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: cloudFrontLogs,
      logFilePrefix: 'console-cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Operators may work from any country; access is controlled by the API token, not by geography.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason: 'The distribution serves only static files; the API behind it has its own throttling and JWT authorizer, so a WAF here would protect nothing that is not public already.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason: 'The default *.cloudfront.net certificate is used (no custom domain): its security policy is fixed by CloudFront, and requiring TLS 1.2 needs a custom domain with its own certificate.',
      },
    );
    this.origin = `https://${this.distribution.distributionDomainName}`;
  }

  /** Uploads the bundle with a `config.json` naming `apiUrl`, and invalidates the distribution's cache. */
  deployFiles(apiUrl: string): void {
    // Two deployments: the console's own files at the root (leaving the vendored prefix alone when
    // pruning) and Swagger UI's few files under vendor/swagger-ui/.
    const swaggerOnly = ['*', ...SWAGGER_UI_FILES.map((f) => `!${f}`)];
    new BucketDeployment(this, 'Files', {
      destinationBucket: this.bucket,
      sources: [Source.asset(CONSOLE_DIR), Source.jsonData('config.json', { apiUrl })],
      exclude: [`${SWAGGER_UI_PREFIX}*`],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      memoryLimit: 256,
    });
    new BucketDeployment(this, 'SwaggerUi', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: SWAGGER_UI_PREFIX,
      sources: [Source.asset(SWAGGER_UI_DIR, { exclude: swaggerOnly })],
      memoryLimit: 256,
    });
    // Both deployments share one handler Lambda that aws-cdk-lib creates at stack level.
    const handlers = Stack.of(this).node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    const stack = Stack.of(this);
    const siteLogicalId = stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as CfnBucket)) as string;
    const wildcards = [
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Resource::*',
      `Resource::<${siteLogicalId}.Arn>/*`,
      `Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${orPseudo(stack.account, 'AccountId')}-${orPseudo(stack.region, 'Region')}/*`,
    ];
    for (const handler of handlers) {
      Validations.of(handler).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: 'The CDK bucket-deployment custom resource uses AWSLambdaBasicExecutionRole only to write its own logs.',
        },
        ...wildcards.map((w) => ({
          id: `AwsSolutions-IAM5[${w}]`,
          reason: 'The CDK bucket-deployment custom resource copies the asset zip from the CDK assets bucket into the console bucket and invalidates its distribution (CloudFront invalidations have no resource ARN).',
        })),
        {
          id: 'AwsSolutions-L1',
          reason: 'The bucket-deployment custom resource runtime is chosen by aws-cdk-lib and updated with it; it runs only at deploy time.',
        },
      );
    }
  }
}

/** How cdk-nag prints an account or region: the value when the stack names one, else the pseudo parameter. */
function orPseudo(value: string, pseudo: 'AccountId' | 'Region'): string {
  return Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
}

import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** The products GSI serving reads the changes since the model version from (functions/adapters/dynamo-stores.ts › CHANGES_INDEX). */
export const CHANGES_INDEX_NAME = 'by-change-day';

/** Options for {@link DataTables}. */
export interface DataTablesProps {
  /** Keep the tables (and turn on deletion protection) when the stack goes away. Default true. */
  readonly retainData?: boolean;
}

/**
 * The engine's five DynamoDB tables (docs/architecture.md › Storage): on-demand billing, point-in-time
 * recovery, encrypted with the account's AWS-managed KMS key (visible in CloudTrail, no key to manage).
 * Every read is by key (`userId` Query, `id` Get) or a retrain Scan, except serving's read of the
 * products changed since the model version: a Query on the products `by-change-day` index.
 */
export class DataTables extends Construct {
  /** `PRODUCTS_TABLE`: `id` (S) → product object with its embeddings. */
  readonly products: TableV2;
  /** `INTERACTIONS_TABLE`: `userId` (S) + `eventId` (S); one item per event, idempotent by `eventId`. */
  readonly interactions: TableV2;
  /** `EVENT_IDS_TABLE`: `eventId` (S) → the event's fingerprint and item; one claim per eventId, globally. */
  readonly eventIds: TableV2;
  /** `ONLINE_METRICS_TABLE`: `pk` (S) + `sk` (S); impressions, attributions and daily counters, expiring by TTL `expiresAt`. */
  readonly onlineMetrics: TableV2;
  /** `USERS_TABLE`: `id` (S) → `country, blacklist`. */
  readonly users: TableV2;
  /** `MODEL_REGISTRY_TABLE`: `name` (S); item `serving` is the model pointer, swapped by conditional write. */
  readonly modelRegistry: TableV2;

  constructor(scope: Construct, id: string, props: DataTablesProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    const common = {
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    };
    this.products = new TableV2(this, 'Products', {
      ...common,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      // Products changed since the serving model version, by day (what serving merges at once).
      globalSecondaryIndexes: [
        {
          indexName: CHANGES_INDEX_NAME,
          partitionKey: { name: 'changeDay', type: AttributeType.STRING },
          sortKey: { name: 'changedAt', type: AttributeType.NUMBER },
        },
      ],
    });
    this.interactions = new TableV2(this, 'Interactions', {
      ...common,
      partitionKey: { name: 'userId', type: AttributeType.STRING },
      sortKey: { name: 'eventId', type: AttributeType.STRING },
    });
    this.eventIds = new TableV2(this, 'EventIds', {
      ...common,
      partitionKey: { name: 'eventId', type: AttributeType.STRING },
    });
    this.onlineMetrics = new TableV2(this, 'OnlineMetrics', {
      ...common,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });
    this.users = new TableV2(this, 'Users', {
      ...common,
      partitionKey: { name: 'id', type: AttributeType.STRING },
    });
    this.modelRegistry = new TableV2(this, 'ModelRegistry', {
      ...common,
      partitionKey: { name: 'name', type: AttributeType.STRING },
    });
  }
}

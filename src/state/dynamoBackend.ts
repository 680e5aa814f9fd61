// The `dynamodb` backend: one item per job, keyed by `jobId` as in Joblet's table, written with
// PutItem under a condition so DynamoDB itself refuses a write older than the stored item
// (BatchWriteItem takes no conditions, hence single puts, several in flight at once).
// Credentials come from the AWS SDK's default chain (environment, profile, instance role).
import {
  DynamoDBClient, PutItemCommand, ScanCommand, DescribeTableCommand, CreateTableCommand, UpdateTimeToLiveCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { visible, type StateBackend, type StateSettings } from './backend.js';
import type { JobRecord } from './record.js';

// `position` is a DynamoDB reserved word, so every expression names attributes through #aliases.
const NEWER = 'attribute_not_exists(jobId) OR #ep < :ep OR (#ep = :ep AND #pos < :pos)';
const TTL_ATTRIBUTE = 'expiresAt';  // Joblet's name for it
const IN_FLIGHT = 16;

export class DynamoBackend implements StateBackend {
  readonly name = 'dynamodb';
  private readonly client: DynamoDBClient;
  private tableReady = false;

  constructor(private readonly settings: StateSettings['dynamodb']) {
    // The SDK warns on Node 20 about *future* SDK releases; the locked version supports Node 20,
    // and the warning would land in the daemon's log on every start of the State child.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new DynamoDBClient({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      // The replicator retries with its own backoff; two SDK attempts smooth over a dropped connection.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
    });
  }

  private get table(): string { return this.settings.tableName; }

  async write(records: JobRecord[]): Promise<void> {
    await this.ensureTable();
    const queue = [...records];
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, queue.length) }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) await this.put(r);
    }));
  }

  private async put(r: JobRecord): Promise<void> {
    const item: Record<string, AttributeValue> = {
      jobId: { S: r.uuid },
      nodeId: { S: r.nodeId },
      jobStatus: { S: r.status },
      logEpoch: { N: String(r.logEpoch) },
      position: { N: String(r.position) },
      record: { S: JSON.stringify(r) },
    };
    const ttlMs = this.settings.ttlMs;
    if (ttlMs > 0 && (r.final || r.deleted)) item[TTL_ATTRIBUTE] = { N: String(Math.floor((Date.parse(r.updatedAt) + ttlMs) / 1000)) };
    try {
      await this.client.send(new PutItemCommand({
        TableName: this.table, Item: item, ConditionExpression: NEWER,
        ExpressionAttributeNames: { '#ep': 'logEpoch', '#pos': 'position' },
        ExpressionAttributeValues: { ':ep': { N: String(r.logEpoch) }, ':pos': { N: String(r.position) } },
      }));
    } catch (err) {
      // The stored item is as new or newer: this write is already superseded, which is success.
      if ((err as Error).name !== 'ConditionalCheckFailedException') throw this.explain(err, 'PutItem');
    }
  }

  async list(nodeId?: string): Promise<JobRecord[]> {
    await this.ensureTable();
    const out: JobRecord[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({
        TableName: this.table, ConsistentRead: true, ExclusiveStartKey: start,
        ...(nodeId !== undefined ? { FilterExpression: 'nodeId = :n', ExpressionAttributeValues: { ':n': { S: nodeId } } } : {}),
      })).catch((err) => { throw this.explain(err, 'Scan'); });
      for (const item of page.Items ?? []) if (item.record?.S) out.push(JSON.parse(item.record.S) as JobRecord);
      start = page.LastEvaluatedKey;
    } while (start);
    return visible(out, nodeId);
  }

  /** Checks the table once; creates it (on-demand billing, TTL on expiresAt) when allowed. */
  private async ensureTable(): Promise<void> {
    if (this.tableReady) return;
    try {
      await this.client.send(new DescribeTableCommand({ TableName: this.table }));
    } catch (err) {
      if ((err as Error).name !== 'ResourceNotFoundException') throw this.explain(err, 'DescribeTable');
      if (!this.settings.createTable) {
        throw new Error(`dynamodb table ${this.table} in ${this.settings.region}: does not exist (create it with hash key jobId (S), or set state.dynamodb.createTable: true)`);
      }
      await this.client.send(new CreateTableCommand({
        TableName: this.table, BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'jobId', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      })).catch((e) => { if ((e as Error).name !== 'ResourceInUseException') throw this.explain(e, 'CreateTable'); });
      await this.waitActive();
      if (this.settings.ttlMs > 0) {
        await this.client.send(new UpdateTimeToLiveCommand({
          TableName: this.table, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE },
        })).catch((e) => {
          // dynalite (the tests' server) has no TTL API; the attribute is still written for real DynamoDB.
          if ((e as Error).name !== 'UnknownOperationException') throw this.explain(e, 'UpdateTimeToLive');
        });
      }
    }
    this.tableReady = true;
  }

  private async waitActive(): Promise<void> {
    for (let i = 0; i < 600; i++) {
      const d = await this.client.send(new DescribeTableCommand({ TableName: this.table }));
      if (d.Table?.TableStatus === 'ACTIVE') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`dynamodb table ${this.table}: not ACTIVE after 60 s (check the table in the AWS console)`);
  }

  private explain(err: unknown, op: string): Error {
    const e = err as Error & { code?: string };
    return new Error(`dynamodb ${op} ${this.table} at ${this.settings.endpoint || this.settings.region}: ${e.name}: ${e.message || e.code || 'no message'}`);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

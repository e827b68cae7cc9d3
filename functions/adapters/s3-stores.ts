/**
 * S3 adapters: immutable model versions (with the serving pointer in DynamoDB, swapped by a
 * conditional write) and the product images bucket (presigned URLs, reads for embedding).
 */
import { DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { ImageStore, ModelPointer, PresignedUpload, ModelStore, StoredVersion } from '../core/domain/ports.js';
import { ArtifactMissing, ConflictError, CorruptArtifact, NotFound } from '../core/domain/errors.js';

/** Earlier versions kept on the pointer (the fallback chain and what retention keeps). */
export const POINTER_HISTORY = 5;

/** Where a family of versions lives: its key prefix in the bucket and its pointer's item in the registry. */
export interface ModelStoreLayout {
  /** Key prefix of `{prefix}{version}/{file}`, ending in `/`. Default `models/` (the collaborative versions). */
  prefix: string;
  /** The registry item naming the active version. Default `serving`. */
  pointerName: string;
}

export const COLLABORATIVE_LAYOUT: ModelStoreLayout = { prefix: 'models/', pointerName: 'serving' };

export class S3ModelStore implements ModelStore {
  private readonly prefix: string;
  private readonly pointerName: string;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly dynamo: DynamoDBDocumentClient,
    private readonly registryTable: string,
    layout: ModelStoreLayout = COLLABORATIVE_LAYOUT,
  ) {
    if (!layout.prefix.endsWith('/')) throw new RangeError(`model store prefix must end in '/': ${layout.prefix}`);
    this.prefix = layout.prefix;
    this.pointerName = layout.pointerName;
  }

  private key(version: string, name: string): string {
    return `${this.prefix}${version}/${name}`;
  }

  async putVersion(version: string, files: Record<string, Uint8Array>): Promise<void> {
    // Sequential on purpose, manifest last: a version without its manifest is half-written (retention cleans it).
    const names = Object.keys(files).sort((a, b) => Number(a === 'manifest.json') - Number(b === 'manifest.json'));
    for (const name of names) {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(version, name), Body: files[name] }));
    }
  }

  private async *objects(prefix: string): AsyncIterable<{ key: string; lastModified: number }> {
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) yield { key: o.Key, lastModified: o.LastModified?.getTime() ?? 0 };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async listVersions(): Promise<StoredVersion[]> {
    const byVersion = new Map<string, StoredVersion>();
    for await (const o of this.objects(this.prefix)) {
      const [version, ...rest] = o.key.slice(this.prefix.length).split('/');
      if (!version || rest.length === 0) continue;
      const v = byVersion.get(version) ?? { version, complete: false, lastModified: 0 };
      if (rest.join('/') === 'manifest.json') v.complete = true;
      v.lastModified = Math.max(v.lastModified, o.lastModified);
      byVersion.set(version, v);
    }
    return [...byVersion.values()];
  }

  async deleteVersion(version: string): Promise<void> {
    if (!/^[\w.:@-]+$/.test(version)) throw new RangeError(`not a version name: ${version}`);
    const keys: string[] = [];
    for await (const o of this.objects(`${this.prefix}${version}/`)) keys.push(o.key);
    for (let i = 0; i < keys.length; i += 1000) {
      await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  async getFile(version: string, name: string): Promise<Uint8Array> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(version, name) }));
      if (!res.Body) throw new CorruptArtifact(`model file ${version}/${name} has no body`);
      return await res.Body.transformToByteArray();
    } catch (err) {
      if (err instanceof NoSuchKey) throw new ArtifactMissing(`model file ${version}/${name} is missing`, { cause: err });
      throw err;
    }
  }

  async readPointer(): Promise<ModelPointer | undefined> {
    const res = await this.dynamo.send(
      new GetCommand({ TableName: this.registryTable, Key: { name: this.pointerName }, ConsistentRead: true }),
    );
    if (!res.Item) return undefined;
    const previous = res.Item.previous as string | undefined;
    const history = Array.isArray(res.Item.history) ? (res.Item.history as string[]) : previous ? [previous] : [];
    return { version: res.Item.version as string, previous, history, updatedAt: res.Item.updatedAt as string };
  }

  async swapPointer(expected: string | undefined, next: string): Promise<void> {
    // The history rides on the same conditional write: if the pointer moved since this read,
    // the condition fails and nothing is written.
    const before = expected === undefined ? undefined : await this.readPointer();
    const history = expected === undefined ? [] : [expected, ...(before?.history ?? [])].filter((v, i, all) => v !== next && all.indexOf(v) === i).slice(0, POINTER_HISTORY);
    try {
      await this.dynamo.send(
        new PutCommand({
          TableName: this.registryTable,
          Item: { name: this.pointerName, version: next, previous: expected, history, updatedAt: new Date().toISOString() },
          ConditionExpression: expected === undefined ? 'attribute_not_exists(#n)' : '#v = :expected',
          ExpressionAttributeNames: expected === undefined ? { '#n': 'name' } : { '#v': 'version' },
          ExpressionAttributeValues: expected === undefined ? undefined : { ':expected': expected },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new ConflictError(`model pointer moved: expected ${expected ?? '(none)'}`, { cause: err });
      }
      throw err;
    }
  }
}

export class S3ImageStore implements ImageStore {
  constructor(private readonly s3: S3Client, private readonly bucket: string, private readonly expiresIn: number) {}

  async presignUpload(key: string, contentType: string, maxBytes: number): Promise<PresignedUpload> {
    const { url, fields } = await createPresignedPost(this.s3, {
      Bucket: this.bucket,
      Key: key,
      Fields: { 'Content-Type': contentType },
      Conditions: [
        ['eq', '$Content-Type', contentType],
        ['content-length-range', 1, maxBytes],
      ],
      Expires: this.expiresIn,
    });
    return { url, fields };
  }

  async deleteObject(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  presignDownload(key: string): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: this.bucket, Key: key }), { expiresIn: this.expiresIn });
  }

  async getObject(key: string): Promise<{ bytes: Uint8Array; size: number }> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const bytes = res.Body ? await res.Body.transformToByteArray() : new Uint8Array();
      return { bytes, size: bytes.byteLength };
    } catch (err) {
      if (err instanceof NoSuchKey) throw new NotFound(`image ${key} does not exist`, { cause: err });
      throw err;
    }
  }
}

import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { GetObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { ObjectCheckError } from './object-checks';
import { s3Sdk } from './s3-client';

/** One object as a listing shows it: what identifies its bytes (ETag) and how many there are. */
export interface StoredObject {
  readonly key: string;
  /** Without the quotes S3 puts around it. */
  readonly etag: string;
  readonly size: number;
}

/** What a download learnt from the answer beyond the bytes. */
export interface Downloaded {
  /**
   * Whether the ETag can be an MD5 of the bytes: not for objects encrypted with KMS or a customer key,
   * whose ETag S3 documents as something else (even when it looks like 32 hex digits).
   */
  readonly etagMayBeMd5: boolean;
}

/** Most keys one ListObjectsV2 page returns; S3 never returns more than 1000. */
const MAX_PAGE_SIZE = 1000;

/**
 * One bucket of S3 or an S3-compatible store: lists keys under a prefix (every page), downloads an
 * object to a file or into memory, each bounded by the size its listing gave. Imports only the commands
 * it sends; the client comes from createS3Client.
 */
export class S3Bucket {
  constructor(
    private readonly client: S3Client,
    readonly name: string,
    private readonly pageSize = MAX_PAGE_SIZE,
  ) {}

  /** Closes the client's connections. */
  close(): void {
    this.client.destroy();
  }

  /** `s3://bucket/key`: how logs and reasons name an object. */
  uri(key: string): string {
    return `s3://${this.name}/${key}`;
  }

  /** Every object under `prefix`, following continuation tokens until the listing is complete. */
  async list(prefix: string, signal?: AbortSignal): Promise<StoredObject[]> {
    const { ListObjectsV2Command } = s3Sdk();
    const objects: StoredObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix, ContinuationToken: token, MaxKeys: this.pageSize }),
        { abortSignal: signal },
      );
      for (const entry of page.Contents ?? []) {
        if (entry.Key === undefined) continue;
        objects.push({ key: entry.Key, etag: unquoted(entry.ETag ?? ''), size: entry.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  }

  /**
   * Writes the object's bytes to `file` (created, never overwritten). Refuses at once an object that
   * changed since it was listed (another ETag or size in the answer; S3 itself answers 412 to If-Match),
   * and stops reading past the listed size, so a replaced object cannot fill the disk.
   */
  async download(object: StoredObject, file: string, signal: AbortSignal): Promise<Downloaded> {
    const answer = await this.get(object, signal);
    await pipeline(answer.Body as Readable, atMost(object.size, this.uri(object.key)), createWriteStream(file, { flags: 'wx' }), { signal });
    return { etagMayBeMd5: !answer.SSECustomerAlgorithm && !answer.ServerSideEncryption?.startsWith('aws:kms') };
  }

  /** A small object's bytes (a config or manifest), bounded like download. */
  async read(object: StoredObject, signal: AbortSignal): Promise<{ bytes: Uint8Array } & Downloaded> {
    const answer = await this.get(object, signal);
    const chunks: Buffer[] = [];
    await pipeline(answer.Body as Readable, atMost(object.size, this.uri(object.key)), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    }, { signal });
    return {
      bytes: new Uint8Array(Buffer.concat(chunks)),
      etagMayBeMd5: !answer.SSECustomerAlgorithm && !answer.ServerSideEncryption?.startsWith('aws:kms'),
    };
  }

  private async get(object: StoredObject, signal: AbortSignal): Promise<GetObjectCommandOutput> {
    const { GetObjectCommand } = s3Sdk();
    const answer = await this.client.send(
      new GetObjectCommand({ Bucket: this.name, Key: object.key, IfMatch: `"${object.etag}"` }),
      { abortSignal: signal },
    );
    const etag = unquoted(answer.ETag ?? object.etag);
    if (etag !== object.etag || (answer.ContentLength !== undefined && answer.ContentLength !== object.size)) {
      (answer.Body as Readable | undefined)?.destroy();
      throw new ObjectCheckError(
        `${this.uri(object.key)} changed since it was listed (ETag ${etag}, ${answer.ContentLength ?? '?'} bytes; ` +
          `listed ${object.etag}, ${object.size} bytes); the next poll reads the new one`,
      );
    }
    return answer;
  }
}

function unquoted(etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '');
}

/** Passes at most `limit` bytes through, failing past it. */
function atMost(limit: number, shown: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > limit) done(new ObjectCheckError(`${shown} sent more than the ${limit} bytes it was listed with`));
      else done(null, chunk);
    },
  });
}

import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { removeDir } from './test-app';

/** s3rver's only account; it checks request signatures against these. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/**
 * A real S3-compatible server (s3rver, in a process of its own: see s3rver-process.cjs) on 127.0.0.1,
 * its data in a temporary directory, with one client to publish and remove objects as a user would.
 * `stop` and `start` take the endpoint away and bring it back on the same port with the same data (an
 * outage); `close` removes everything.
 */
export class TestS3Server {
  private server: ChildProcess | undefined;
  private s3Client: S3Client | undefined;

  private constructor(
    readonly directory: string,
    readonly bucket: string,
    private port: number,
  ) {}

  /** A client of this server, as a user publishing models has. */
  get client(): S3Client {
    this.s3Client ??= new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      // s3rver predates the SDK's default CRC32 checksums on uploads; plain uploads are what it stores.
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    return this.s3Client;
  }

  static async start(bucket = 'models'): Promise<TestS3Server> {
    const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
    const server = new TestS3Server(directory, bucket, 0);
    await server.start();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Environment of a process that reads this server with the SDK's standard settings. */
  get env(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_S3: this.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
    };
  }

  async start(): Promise<void> {
    const server = fork(path.join(__dirname, 's3rver-process.cjs'), [this.directory, String(this.port), this.bucket], {
      execArgv: ['--openssl-legacy-provider'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const [message] = (await once(server, 'message')) as [{ port?: number; error?: string }];
    if (message.port === undefined) throw new Error(`s3rver did not start: ${message.error}`);
    this.port = message.port;
    this.server = server;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** The endpoint goes away at once, every connection with it. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server || server.exitCode !== null) return;
    const exited = once(server, 'exit');
    server.kill('SIGKILL');
    await exited;
  }

  /**
   * Uploads an object, resolving once s3rver holds all of it: s3rver answers a PUT (and lists the object
   * with its final ETag) before its file is completely written, which S3 never does.
   */
  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body }));
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    while ((await stat(this.objectFile(key)).catch(() => undefined))?.size !== size) await sleep(5);
  }

  async putFile(key: string, file: string): Promise<void> {
    await this.put(key, await readFile(file));
  }

  async remove(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  /**
   * Replaces the bytes s3rver keeps for an object behind its back, leaving the ETag it recorded at
   * upload: what a store that lost or damaged data serves (the listing then shows the new size).
   */
  async damage(key: string, bytes: Uint8Array): Promise<void> {
    await writeFile(this.objectFile(key), bytes);
  }

  /** Where s3rver keeps an object's bytes. */
  private objectFile(key: string): string {
    return path.join(this.directory, this.bucket, `${key}._S3rver_object`);
  }

  async close(): Promise<void> {
    await this.stop().catch(() => undefined);
    this.s3Client?.destroy();
    await removeDir(this.directory);
  }
}

import http from 'node:http';
import https from 'node:https';
import type { PredictionRecord } from '../../serving/prediction-observers';
import { cloudEventsOf, type HttpCloudEvent } from '../cloud-events';
import type { LogSink, WriteResult } from '../log-sink';

/** One event waits this long for its answer, then counts as failed (and is retried). */
const EVENT_TIMEOUT_MS = 10_000;
/** Records sent at the same time, each over its own keep-alive connection. */
const CONCURRENCY = 8;

/**
 * CloudEvents in HTTP binary mode, as KServe's payload logger sends them: a POST per event, the
 * request event then the response event of each prediction (see cloudEventsOf). Delivery is at least
 * once: a record whose response event failed is retried whole, so its request event may arrive twice.
 * A 4xx answer (other than 408 and 429) will not change on a retry: that record is dropped (rejected).
 */
export class HttpSink implements LogSink {
  readonly name = 'http';
  readonly batchSize = 1;
  readonly concurrency = CONCURRENCY;
  private readonly url: URL;
  private readonly agent: http.Agent;
  private closed = false;

  constructor(
    url: string,
    private readonly options: { source: string; maxValueBytes: number },
  ) {
    this.url = new URL(url);
    const secure = this.url.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY })
      : new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  }

  async write(records: readonly PredictionRecord[]): Promise<WriteResult | void> {
    let rejected = 0;
    let reason: string | undefined;
    for (const record of records) {
      let events: HttpCloudEvent[];
      try {
        events = cloudEventsOf(record, this.options);
      } catch (error) {
        rejected++;
        reason = `a prediction of ${record.model}/${record.version} could not be read: ${(error as Error).message}`;
        continue;
      }
      for (const event of events) {
        const status = await this.post(event);
        if (status >= 200 && status < 300) continue;
        if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
          rejected++;
          reason = `the receiver answered ${status} to a ${event.headers['ce-type']} event`;
          break;
        }
        throw new Error(`the receiver answered ${status}`);
      }
    }
    return rejected > 0 ? { rejected, reason } : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    // Ends keep-alive connections and fails requests still waiting for an answer.
    this.agent.destroy();
  }

  private post(event: HttpCloudEvent): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the prediction log is closed'));
    const transport = this.url.protocol === 'https:' ? https : http;
    const body = Buffer.from(event.body, 'utf8');
    return new Promise<number>((resolve, reject) => {
      const request = transport.request(
        this.url,
        { method: 'POST', agent: this.agent, headers: { ...event.headers, 'content-length': String(body.length) } },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode ?? 0));
          response.once('error', reject);
        },
      );
      request.setTimeout(EVENT_TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${EVENT_TIMEOUT_MS} ms`)));
      request.once('error', reject);
      request.end(body);
    });
  }
}

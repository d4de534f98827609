import http from 'node:http';

export interface RequestSpec {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body without Content-Length (a framing error the server must survive). */
  unframed?: boolean;
}

export interface Outcome {
  /** HTTP status, or undefined when no complete response came back. */
  status?: number;
  body?: string;
  headers?: http.IncomingHttpHeaders;
  /** Socket error code when the request failed: ECONNREFUSED means it never got a connection. */
  error?: string;
  ms: number;
  /** Which request this was (the index `next` was called with). */
  index?: number;
}

/** One request over `agent`, reading the whole response; never rejects. */
export function send(url: string, spec: RequestSpec, agent: http.Agent, timeoutMs = 10_000): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    // Frame every body with Content-Length: Node's client sends DELETE bodies unframed otherwise.
    const headers =
      spec.body === undefined || spec.unframed ? spec.headers : { 'content-length': String(Buffer.byteLength(spec.body)), ...spec.headers };
    const request = http.request(
      `${url}${spec.path}`,
      { method: spec.method, headers, agent, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        response.on('aborted', () => resolve({ error: 'ABORTED', ms: performance.now() - started }));
        response.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, ms: performance.now() - started }));
      },
    );
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, ms: performance.now() - started }));
    if (spec.body !== undefined) request.write(spec.body);
    request.end();
  });
}

export interface LoadResult {
  outcomes: Outcome[];
  requests: number;
  /** Requests that got no complete response although a connection existed (resets, hang-ups, timeouts). */
  dropped: number;
  refused: number;
  byStatus: Record<number, number>;
  /** Error codes of the requests that got no response. */
  byError: Record<string, number>;
  maxMs: number;
}

/**
 * Keeps `connections` keep-alive connections busy with `next()` requests
 * until `until()` says stop; every outcome is kept for the caller's checks.
 */
export async function runLoad(
  url: string,
  connections: number,
  next: (i: number) => RequestSpec,
  until: () => boolean,
  options: {
    keepOutcomes?: boolean;
    stopOnRefused?: boolean;
    /** Stop a connection's loop when the server answers `Connection: close`, as a load balancer would route elsewhere. */
    stopOnConnectionClose?: boolean;
  } = {},
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const result: LoadResult = { outcomes: [], requests: 0, dropped: 0, refused: 0, byStatus: {}, byError: {}, maxMs: 0 };
  let counter = 0;
  const worker = async () => {
    while (!until()) {
      const index = counter++;
      const outcome = { ...(await send(url, next(index), agent)), index };
      result.requests++;
      result.maxMs = Math.max(result.maxMs, outcome.ms);
      if (options.keepOutcomes !== false) result.outcomes.push(outcome);
      if (outcome.error !== undefined) result.byError[outcome.error] = (result.byError[outcome.error] ?? 0) + 1;
      if (outcome.status !== undefined) result.byStatus[outcome.status] = (result.byStatus[outcome.status] ?? 0) + 1;
      else if (outcome.error === 'ECONNREFUSED') {
        result.refused++;
        if (options.stopOnRefused) return;
      } else result.dropped++;
      if (options.stopOnConnectionClose && outcome.headers?.connection === 'close') return;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
  return result;
}

export function printFigures(part: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${part}: ${Object.entries(figures).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ')}`);
}

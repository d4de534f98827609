/**
 * Requests and replies over a Node IPC channel (a cluster worker's `process`,
 * or the primary's `Worker` handle for it): the one way the server processes
 * of a pod talk to each other. Each side registers handlers by kind and may
 * ask the other side; replies are matched by id, and every request is bounded
 * in time so a wedged process cannot hang the one asking.
 */
export interface IpcEndpoint {
  /** Node's: a failed send (the other process exiting: EPIPE) goes to the callback, else it is an 'error' event. */
  send(message: unknown, callback: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

type Handler = (payload: unknown) => unknown;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Every message of ours carries this tag, so messages of other libraries on the same channel are left alone. */
const CHANNEL = 'onnx-model-server';

interface Envelope {
  channel: typeof CHANNEL;
  id: number;
  kind?: string;
  payload?: unknown;
  reply?: unknown;
  failure?: string;
}

export class IpcPeer {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Handler>();
  private disconnected = false;

  constructor(
    private readonly endpoint: IpcEndpoint,
    /** Names the other side in error messages, e.g. "HTTP process 2". */
    private readonly otherSide: string,
  ) {
    endpoint.on('message', (message) => this.receive(message));
    endpoint.on('disconnect', () => this.fail(`${this.otherSide} is gone`));
  }

  /** Answers the other side's requests of this kind; a thrown error is sent back as its message. */
  handle(kind: string, handler: Handler): void {
    this.handlers.set(kind, handler);
  }

  request<T>(kind: string, payload: unknown, timeoutMs: number): Promise<T> {
    if (this.disconnected) return Promise.reject(new Error(`${this.otherSide} is gone`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.otherSide} did not answer "${kind}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.post({ channel: CHANNEL, id, kind, payload });
    });
  }

  /** Rejects what is still waiting for an answer, e.g. once the other process has exited. */
  fail(reason: string): void {
    this.disconnected = true;
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error(reason));
      this.pending.delete(id);
    }
  }

  private receive(message: unknown): void {
    if (!isEnvelope(message)) return;
    if (message.kind === undefined) {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      clearTimeout(waiting.timer);
      if (message.failure !== undefined) waiting.reject(new Error(message.failure));
      else waiting.resolve(message.reply);
      return;
    }
    void this.answer(message.id, message.kind, message.payload);
  }

  private async answer(id: number, kind: string, payload: unknown): Promise<void> {
    const handler = this.handlers.get(kind);
    try {
      if (!handler) throw new Error(`no handler for "${kind}"`);
      this.post({ channel: CHANNEL, id, reply: await handler(payload) });
    } catch (error) {
      this.post({ channel: CHANNEL, id, failure: error instanceof Error ? error.message : String(error) });
    }
  }

  private post(envelope: Envelope): void {
    // A send that fails later (EPIPE while the other process exits) must reach this callback: without one,
    // Node emits it as an 'error' event, which nothing handles, and the process (the primary) crashes.
    const failed = (error: Error | null) => {
      if (error && envelope.kind !== undefined) this.settleFailed(envelope.id, `${this.otherSide} cannot be reached: ${error.message}`);
    };
    try {
      this.endpoint.send(envelope, failed);
    } catch {
      // The channel closed under us: the 'disconnect' listener fails what waits.
    }
  }

  private settleFailed(id: number, reason: string): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    waiting.reject(new Error(reason));
  }
}

function isEnvelope(message: unknown): message is Envelope {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as Envelope).channel === CHANNEL &&
    typeof (message as Envelope).id === 'number'
  );
}

import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { IpcPeer } from './ipc-peer';
import { channelPair } from '../../test/support/ipc-channel';

describe('IpcPeer', () => {
  it('answers a request with what the other side handler returns, sync or async', async () => {
    const { left, right } = channelPair();
    right.handle('double', (n) => (n as number) * 2);
    right.handle('later', async (n) => `got ${n as number}`);
    await expect(left.request('double', 21, 1000)).resolves.toBe(42);
    await expect(left.request('later', 7, 1000)).resolves.toBe('got 7');
  });

  it('matches concurrent replies to their requests', async () => {
    const { left, right } = channelPair();
    right.handle('echo', async (n) => {
      await new Promise((resolve) => setTimeout(resolve, 50 - (n as number) * 10));
      return n;
    });
    await expect(Promise.all([0, 1, 2, 3].map((n) => left.request('echo', n, 1000)))).resolves.toEqual([0, 1, 2, 3]);
  });

  it("rejects with the other side's error message, and for a kind nobody handles", async () => {
    const { left, right } = channelPair();
    right.handle('fail', () => {
      throw new Error('model "x" not found');
    });
    await expect(left.request('fail', undefined, 1000)).rejects.toThrow('model "x" not found');
    await expect(left.request('nothing', undefined, 1000)).rejects.toThrow('no handler for "nothing"');
  });

  it('rejects a request whose send fails as the other process exits (EPIPE), and never leaves the error unhandled', async () => {
    // As Node's IPC does: a write that fails later goes to the send's callback, or else is an 'error' event.
    const exiting = Object.assign(new EventEmitter(), {
      send: (_message: unknown, callback?: (error: Error | null) => void) => {
        const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
        setImmediate(() => (callback ? callback(epipe) : exiting.emit('error', epipe)));
        return false;
      },
    });
    const peer = new IpcPeer(exiting as never, 'HTTP process 2');
    await expect(peer.request('health', undefined, 10_000)).rejects.toThrow('HTTP process 2 cannot be reached: write EPIPE');
  });

  it('gives up after the timeout, naming the other side', async () => {
    const { left, right } = channelPair();
    right.handle('never', () => new Promise(() => undefined));
    await expect(left.request('never', undefined, 30)).rejects.toThrow('the right side did not answer "never" within 30 ms');
  });

  it('fails what waits, and what is asked later, once the other side is gone', async () => {
    const { left, right, closeRight } = channelPair();
    right.handle('never', () => new Promise(() => undefined));
    const waiting = left.request('never', undefined, 10_000);
    await new Promise((resolve) => setImmediate(resolve));
    closeRight();
    await expect(waiting).rejects.toThrow('the right side is gone');
    await expect(left.request('never', undefined, 10_000)).rejects.toThrow('the right side is gone');
  });

  it('ignores messages that are not its own (other libraries share the channel)', async () => {
    const { left, right, leftSide } = channelPair();
    right.handle('slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return 'mine';
    });
    const answer = left.request('slow', undefined, 1000);
    // Same id as the request, but not ours: it must not be taken for the reply.
    leftSide.emit('message', { id: 1, reply: 'foreign' });
    leftSide.emit('message', { type: 'prom-client:getMetricsReq', requestId: 1 });
    leftSide.emit('message', 'text');
    await expect(answer).resolves.toBe('mine');
  });
});

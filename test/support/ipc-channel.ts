import { EventEmitter } from 'node:events';
import { IpcPeer } from '../../src/cluster/ipc-peer';

/** Two ends of an in-memory IPC channel, delivering messages asynchronously and as copies, as Node's does. */
export function channelPair(): { left: IpcPeer; right: IpcPeer; leftSide: EventEmitter; closeRight: () => void } {
  const leftSide = new EventEmitter();
  const rightSide = new EventEmitter();
  let open = true;
  const endpoint = (to: EventEmitter, self: EventEmitter) =>
    Object.assign(self, {
      send: (message: unknown) => {
        if (!open) throw new Error('channel closed');
        const copy = structuredClone(message);
        setImmediate(() => to.emit('message', copy));
        return true;
      },
    });
  const left = new IpcPeer(endpoint(rightSide, leftSide) as never, 'the right side');
  const right = new IpcPeer(endpoint(leftSide, rightSide) as never, 'the left side');
  return {
    left,
    right,
    leftSide,
    closeRight: () => {
      open = false;
      leftSide.emit('disconnect');
      rightSide.emit('disconnect');
    },
  };
}

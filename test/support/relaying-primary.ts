import { askSiblings } from '../../src/cluster/primary';
import { ServerProcess } from '../../src/cluster/server-process';
import { channelPair } from './ipc-channel';

/**
 * Two HTTP processes under a stand-in primary that relays one kind of question (`asked`, from a process)
 * to the other process (as `relayed`), as Primary does for drift and shadow reports.
 */
export function twoProcessesRelaying(asked: string, relayed: string): { first: ServerProcess; second: ServerProcess; closeSecond: () => void } {
  const toFirst = channelPair();
  const toSecond = channelPair();
  const members = [
    { index: 1, peer: toFirst.right },
    { index: 2, peer: toSecond.right },
  ];
  for (const member of members) {
    member.peer.handle(asked, (question) => askSiblings(members.filter((other) => other !== member), relayed, question, 200));
  }
  return {
    first: ServerProcess.underPrimary(1, toFirst.left),
    second: ServerProcess.underPrimary(2, toSecond.left),
    closeSecond: toSecond.closeRight,
  };
}

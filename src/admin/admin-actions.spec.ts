import { describe, expect, it, vi } from 'vitest';
import { channelPair } from '../../test/support/ipc-channel';
import { relayAdminAction } from '../cluster/primary';
import { ServerProcess, TO_PRIMARY } from '../cluster/server-process';
import { DomainError } from '../common/errors/domain-error';
import type { ModelRegistry } from '../model-registry/model-registry.service';
import { AdminActions } from './admin-actions';

function fakeRegistry(setOverrides: (name: string) => void = () => undefined) {
  return {
    rescan: vi.fn(async () => undefined),
    reloadModel: vi.fn(async () => undefined),
    loadNow: vi.fn(async () => undefined),
    unload: vi.fn(async () => undefined),
    setOverrides: vi.fn(setOverrides),
  };
}

/** Two HTTP processes and a primary relaying between them over in-memory IPC channels, as Primary does. */
function twoProcesses(secondRegistry = fakeRegistry()) {
  const toFirst = channelPair();
  const toSecond = channelPair();
  const first = fakeRegistry();
  const processes = [
    { index: 1, peer: toFirst.right },
    { index: 2, peer: toSecond.right },
  ];
  for (const member of processes) {
    member.peer.handle(TO_PRIMARY.admin, (action) => relayAdminAction(processes.filter((other) => other !== member), action));
  }
  const actionsOf = (registry: ReturnType<typeof fakeRegistry>, index: number, line: typeof toFirst.left) =>
    new AdminActions(registry as unknown as ModelRegistry, ServerProcess.underPrimary(index, line));
  return { first, second: secondRegistry, one: actionsOf(first, 1, toFirst.left), two: actionsOf(secondRegistry, 2, toSecond.left) };
}

describe('AdminActions', () => {
  it('applies an action in every HTTP process before it answers', async () => {
    const { first, second, one } = twoProcesses();
    const overrides = { default_version: 2, labels: { toString: 1 } };
    await one.apply({ op: 'set-config', model: 'iris', overrides });
    expect(first.setOverrides).toHaveBeenCalledWith('iris', overrides);
    expect(second.setOverrides).toHaveBeenCalledWith('iris', overrides);
    await one.apply({ op: 'unload', model: 'iris', version: 1 });
    expect(second.unload).toHaveBeenCalledWith('iris', 1);
  });

  it('says how many processes applied it and what the other answered, with its code, when a sibling refuses', async () => {
    const { second, one } = twoProcesses(
      fakeRegistry(() => {
        throw new DomainError('CONFLICT', 'model "iris": version 3 is LOADING, not READY');
      }),
    );
    const failure = await one.apply({ op: 'set-config', model: 'iris', overrides: { default_version: 3 } }).catch((error: unknown) => error);
    expect(second.setOverrides).toHaveBeenCalled();
    expect(failure).toBeInstanceOf(DomainError);
    expect(failure).toMatchObject({ code: 'CONFLICT' });
    expect((failure as Error).message).toBe(
      'applied in 1 of 2 HTTP processes; HTTP process 2 answered: model "iris": version 3 is LOADING, not READY. Repeat the request once that is resolved',
    );
  });

  it('changes no other process when the action fails where it was received', async () => {
    const { first, second, two } = twoProcesses();
    second.unload.mockRejectedValueOnce(new DomainError('VERSION_NOT_AVAILABLE', 'model "iris": version 9 does not exist'));
    await expect(two.apply({ op: 'unload', model: 'iris', version: 9 })).rejects.toMatchObject({ code: 'VERSION_NOT_AVAILABLE' });
    expect(first.unload).not.toHaveBeenCalled();
  });

  it('applies locally only in a single-process server', async () => {
    const registry = fakeRegistry();
    const actions = new AdminActions(registry as unknown as ModelRegistry, ServerProcess.standalone());
    await actions.apply({ op: 'load', model: 'iris', version: 2 });
    expect(registry.loadNow).toHaveBeenCalledWith('iris', 2);
  });
});

import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { RepositoryReachability } from './repository-reachability';

describe('RepositoryReachability', () => {
  it('logs an outage once when it begins and once when it ends, however many reads fail meanwhile', async () => {
    const logger = new Logger('test');
    const error = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const log = vi.spyOn(logger, 'log').mockImplementation(() => undefined);
    const reachability = new RepositoryReachability('s3://models/prod', logger);

    await reachability.track(Promise.resolve());
    expect(reachability.state()).toMatchObject({ repository: 's3://models/prod', readable: true });
    for (const reason of ['connect ECONNREFUSED 127.0.0.1:9000', 'connect ECONNREFUSED 127.0.0.1:9000', 'getaddrinfo ENOTFOUND minio']) {
      // A 503 for whoever asked (an admin rescan), naming the repository.
      await expect(reachability.track(Promise.reject(new Error(reason)))).rejects.toMatchObject({
        code: 'REPOSITORY_UNAVAILABLE',
        message: `the model repository s3://models/prod cannot be read: ${reason}`,
      });
    }
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0][0]).toBe(
      'The model repository s3://models/prod cannot be read: connect ECONNREFUSED 127.0.0.1:9000; what is loaded keeps serving, and it is read again at every poll',
    );
    const during = reachability.state();
    expect(during).toMatchObject({ readable: false, error: 'getaddrinfo ENOTFOUND minio' });
    expect(during.failingSince!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(reachability.unreadable).toBe('the model repository s3://models/prod cannot be read: getaddrinfo ENOTFOUND minio');

    await reachability.track(Promise.resolve());
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(/^The model repository s3:\/\/models\/prod can be read again \(after \d+ s\)/);
    expect(reachability.state()).toMatchObject({ readable: true });
    expect(reachability.state()).not.toHaveProperty('error');
    expect(reachability.unreadable).toBeUndefined();
  });

  it('is not readable before a first read succeeded', async () => {
    const reachability = new RepositoryReachability('/models', new Logger('test'));
    expect(reachability.state()).toEqual({ repository: '/models', readable: false });
  });
});

import { describe, expect, it } from 'vitest';
import { ShadowLane, ShadowQueue } from './shadow-queue';

/** A promise and its resolve, to hold work until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('ShadowQueue', () => {
  it('runs one item at a time, never in the turn it was offered, in order', async () => {
    const ran: number[] = [];
    let running = 0;
    let most = 0;
    const queue = new ShadowQueue<number>(10, async (item) => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 1));
      ran.push(item);
      running--;
    });
    for (let i = 0; i < 5; i++) expect(queue.offer(i)).toBe(true);
    expect(ran).toEqual([]);
    expect(queue.size).toBe(5);
    await queue.idle();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
    expect(queue.size).toBe(0);
  });

  it('refuses what is offered while `capacity` items wait, the one running aside', async () => {
    const held = gate();
    const queue = new ShadowQueue<number>(2, () => held.promise);
    expect(queue.offer(1)).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    // 1 runs; 2 and 3 wait; 4 finds the queue full.
    expect([queue.offer(2), queue.offer(3), queue.offer(4)]).toEqual([true, true, false]);
    expect(queue.size).toBe(3);
    held.open();
    await queue.idle();
    expect(queue.offer(5)).toBe(true);
    await queue.idle();
  });

  it('goes on after an item whose work rejects', async () => {
    const ran: number[] = [];
    const queue = new ShadowQueue<number>(5, async (item) => {
      if (item === 1) throw new Error('broken');
      ran.push(item);
    });
    queue.offer(1);
    queue.offer(2);
    await queue.idle();
    expect(ran).toEqual([2]);
  });

  it('forgets what waits when stopped and takes nothing more; the item running finishes', async () => {
    const held = gate();
    const ran: number[] = [];
    const queue = new ShadowQueue<number>(5, async (item) => {
      await held.promise;
      ran.push(item);
    });
    queue.offer(1);
    await new Promise((resolve) => setImmediate(resolve));
    queue.offer(2);
    expect(queue.stop()).toBe(1);
    expect(queue.offer(3)).toBe(false);
    held.open();
    await queue.idle();
    expect(ran).toEqual([1]);
  });
});

describe('ShadowLane', () => {
  it('runs the work of several queues one item at a time', async () => {
    let running = 0;
    let most = 0;
    const work = async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 2));
      running--;
    };
    const lane = new ShadowLane();
    const queues = [0, 1, 2].map(() => new ShadowQueue<number>(10, work, lane));
    for (const queue of queues) for (let i = 0; i < 3; i++) queue.offer(i);
    await Promise.all(queues.map((queue) => queue.idle()));
    expect(most).toBe(1);
  });
});

/** queuePosition without a visibility query per POST: one count per second, shared, plus local accepts. */
import { describe, expect, it, vi } from 'vitest';
import { QueueCounter } from '../../api/jobs/queue-count';

describe('QueueCounter', () => {
  it('shares one count among a burst of submissions and counts the jobs accepted since', async () => {
    const count = vi.fn(async () => 7);
    const queue = new QueueCounter(count);
    const ahead = await Promise.all(Array.from({ length: 50 }, () => queue.ahead('VPS')));
    expect(count).toHaveBeenCalledTimes(1);
    expect(new Set(ahead)).toEqual(new Set([7]));
    queue.accepted('VPS');
    queue.accepted('VPS');
    expect(await queue.ahead('VPS')).toBe(9);
    // the other processor has its own queue
    expect(await queue.ahead('GPU')).toBe(7);
    expect(count).toHaveBeenCalledTimes(2);
  });

  it('asks again after a second, and does not keep a failed count', async () => {
    vi.useFakeTimers();
    try {
      let answer: Promise<number> = Promise.reject(new Error('visibility unavailable'));
      const queue = new QueueCounter(() => answer);
      await expect(queue.ahead('VPS')).rejects.toThrow('visibility unavailable');
      answer = Promise.resolve(3);
      expect(await queue.ahead('VPS')).toBe(3);
      queue.accepted('VPS');
      answer = Promise.resolve(10);
      expect(await queue.ahead('VPS')).toBe(4);
      vi.advanceTimersByTime(1_001);
      expect(await queue.ahead('VPS')).toBe(10);
    } finally {
      vi.useRealTimers();
    }
  });
});

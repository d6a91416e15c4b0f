/**
 * How many jobs wait ahead of a new one (the accepted body's queuePosition and estimatedTime), without a
 * visibility query per POST: one count per processor at most every TTL, shared by the requests that
 * arrive meanwhile, plus the jobs this API accepted since that count. It is an estimate either way
 * (visibility lags), and a burst of submissions no longer queues behind its own counting.
 */
import type { Processor } from '../../workflows/types';

const TTL_MS = 1_000;

interface Entry {
  at: number;
  count: Promise<number>;
  acceptedSince: number;
}

export class QueueCounter {
  private readonly entries = new Map<Processor, Entry>();

  constructor(private readonly countQueued: (processor: Processor) => Promise<number>) {}

  /** jobs queued ahead of one accepted now */
  async ahead(processor: Processor): Promise<number> {
    let entry = this.entries.get(processor);
    if (!entry || Date.now() - entry.at > TTL_MS) {
      entry = { at: Date.now(), count: this.countQueued(processor), acceptedSince: 0 };
      this.entries.set(processor, entry);
      // a failed count is not cached: the next request asks again
      entry.count.catch(() => this.entries.get(processor) === entry && this.entries.delete(processor));
    }
    const seen = entry.acceptedSince;
    return (await entry.count) + seen;
  }

  /** a job was accepted: the ones after it count it until the next refresh */
  accepted(processor: Processor): void {
    const entry = this.entries.get(processor);
    if (entry) entry.acceptedSince++;
  }
}

// The built-in embedder's waiting room: one FIFO lane per scope (user), batches filled round-robin across lanes.

/** What the queue needs of an item: whose it is and what it costs the model (characters, for texts). */
export interface FairItem {
  scope: string;
  cost: number;
}

/**
 * Texts waiting for the model, one FIFO lane per scope. `take` fills a batch one item per lane in turn, so a user
 * with thousands of queued texts gets one slot per round like a user with one, and another user's single text goes
 * into the next batch instead of waiting for the whole backlog.
 *
 * Turn order: lanes the last batch served come last, in the order of their last turn there; before them, first the
 * lanes that batch left out (by the item or cost limit), then lanes that appeared since, in order of arrival. So a
 * user who has just had a turn waits for everyone else, and a user left out of a batch is ahead of all who were in it.
 */
export class FairQueue<T extends FairItem> {
  /** Lanes the last `take` did not serve, and lanes created since: first in turn, oldest first. */
  private waiting = new Map<string, T[]>();
  /** Lanes the last `take` served, in the order of their last turn. */
  private served = new Map<string, T[]>();
  private count = 0;

  /** Items queued, including any that `take` would drop as stale. */
  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const lane = this.waiting.get(item.scope) ?? this.served.get(item.scope);
    if (lane) lane.push(item);
    else this.waiting.set(item.scope, [item]);
    this.count++;
  }

  /**
   * Removes and returns the next batch: at most `maxItems` items whose costs add up to at most `maxCost` (a batch
   * takes at least one item, however costly: one text cannot be split). One item per lane per round, FIFO within a
   * lane; a lane whose next item does not fit the remaining cost is done for this batch (and first in the next),
   * while the others go on filling it. Items for which `stale` is true are dropped on the way (their caller failed).
   */
  take(maxItems: number, maxCost: number, stale: (item: T) => boolean = () => false): T[] {
    const lanes = new Map([...this.waiting, ...this.served]);
    const batch: T[] = [];
    let cost = 0;
    /** Lanes served in this batch, in the order of their last turn (re-added on each turn). */
    const turns = new Set<string>();
    const full = new Set<string>();
    for (let progress = true; progress && batch.length < maxItems; ) {
      progress = false;
      for (const [scope, lane] of lanes) {
        if (batch.length >= maxItems) break;
        if (full.has(scope)) continue;
        while (lane[0] && stale(lane[0])) {
          lane.shift();
          this.count--;
        }
        const head = lane[0];
        if (!head) continue;
        if (batch.length > 0 && cost + head.cost > maxCost) {
          full.add(scope);
          continue;
        }
        lane.shift();
        this.count--;
        batch.push(head);
        cost += head.cost;
        turns.delete(scope);
        turns.add(scope);
        progress = true;
      }
    }
    this.waiting = new Map();
    this.served = new Map();
    for (const [scope, lane] of lanes)
      if (lane.length > 0 && !turns.has(scope)) this.waiting.set(scope, lane);
    for (const scope of turns) {
      const lane = lanes.get(scope) as T[];
      if (lane.length > 0) this.served.set(scope, lane);
    }
    return batch;
  }

  /** Removes and returns every queued item. */
  drain(): T[] {
    const all = [...this.waiting.values(), ...this.served.values()].flat();
    this.waiting.clear();
    this.served.clear();
    this.count = 0;
    return all;
  }
}

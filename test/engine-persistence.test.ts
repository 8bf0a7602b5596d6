// The order of a market's venue events through EnginePersistence: events that arrive in one
// synchronous run (several ws messages out of one socket read, with no microtask between them)
// are all booked, none left waiting for the market's next event. Before the fix the second of
// two such events sat in the queue (the finished drain still looked busy until a microtask
// later), and on a quiet market the next event came only with the order timeout's
// reconciliation, 10 s later (test/shard.test.ts flaked on it).
import { describe, expect, it } from 'vitest';
import { systemClock } from '../src/execution/clock.js';
import { EnginePersistence, type PersistenceDeps } from '../src/engine/persistence.js';
import { createLogger } from '../src/telemetry/logger.js';
import type { OrderEvent } from '../src/venues/venue.js';

const MARKET = { symbol: 'AAA/USDC', tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 };
const accepted = (clientId: string): OrderEvent => ({ type: 'accepted', clientId, symbol: MARKET.symbol, tsNs: 1n });

describe('EnginePersistence event order', () => {
  it('books every event of one synchronous run, in order', async () => {
    const applied: string[] = [];
    // Order events only (no fill), on a market with no writer yet: the drain books them at once;
    // the store, ledgers and breakers are not reached on this path.
    const deps = {
      markets: [MARKET], clock: systemClock, log: createLogger({ level: 'silent' }), horizonMs: null,
      apply: (e: OrderEvent) => applied.push(e.type === 'fill' ? e.fill.clientId : e.clientId),
    } as unknown as PersistenceDeps;
    const p = new EnginePersistence(deps);
    p.release(p.market(MARKET.symbol)!);
    p.onEvent(accepted('a'));
    p.onEvent(accepted('b')); // the same synchronous run: the drain of 'a' has just finished
    p.onEvent(accepted('c'));
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
    expect(applied).toEqual(['a', 'b', 'c']);
    p.onEvent(accepted('d'));
    expect(applied).toEqual(['a', 'b', 'c', 'd']);
  });
});

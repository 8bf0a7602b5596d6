// Adversarial fills never push the position past its limit: the market fills any resting order
// by any amount at any moment, venue events reach the manager in any interleaving across orders
// (in order per order, as venues guarantee) and any event may be delivered again later. Requests
// take time to reach the venue, so fills land on orders whose cancel is still on its way, and
// acks time out, leaving orders in doubt.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OrderEvent } from '../src/venues/venue.js';
import { makeHarness, quote, SYMBOL } from './helpers/trading-harness.js';

const LIMIT = 10;

const quoteArb = fc.record({
  side: fc.constantFrom('buy' as const, 'sell' as const),
  offset: fc.integer({ min: 0, max: 3 }),
  size: fc.integer({ min: 1, max: 7 }),
  level: fc.integer({ min: 0, max: 2 }),
});
const action = fc.oneof(
  fc.record({ kind: fc.constant('quote' as const), quotes: fc.array(quoteArb, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(), lots: fc.integer({ min: 1, max: 7 }) }),
  fc.record({ kind: fc.constant('deliver' as const), steps: fc.array(fc.record({ pick: fc.nat(), dup: fc.boolean() }), { maxLength: 12 }) }),
  fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('process' as const), count: fc.integer({ min: 1, max: 3 }) }),
);

function orderOf(event: OrderEvent): string {
  return event.type === 'fill' ? event.fill.clientId : event.clientId;
}

describe('risk filter under adversarial fills', () => {
  it('never lets |position| exceed maxPositionLots, and books every fill exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 60, size: 'large' }), async (actions) => {
        const h = await makeHarness({ limits: { maxPositionLots: LIMIT }, ackTimeoutMs: 50 });
        h.venue.holdRequests = true;
        const queues = new Map<string, OrderEvent[]>();
        const delivered: OrderEvent[] = [];
        const collect = (): void => {
          for (const event of h.venue.takeEvents()) queues.set(orderOf(event), [...(queues.get(orderOf(event)) ?? []), event]);
        };
        const deliverOne = (pick: number, dup: boolean): void => {
          const keys = [...queues.keys()];
          const key = keys[pick % Math.max(1, keys.length)];
          const queue = key === undefined ? undefined : queues.get(key);
          const event = queue?.shift();
          if (key !== undefined && queue?.length === 0) queues.delete(key);
          if (event === undefined) return;
          h.orders.onEvent(event);
          if (dup) delivered.push(event);
        };
        const check = (): void => {
          expect(Math.abs(h.venue.executed.get(SYMBOL) ?? 0)).toBeLessThanOrEqual(LIMIT);
          expect(Math.abs(h.positions.position(SYMBOL))).toBeLessThanOrEqual(LIMIT);
        };

        for (const a of actions) {
          h.clock.advance(10);
          h.risk.onMarketData(SYMBOL, h.clock.nowMs());
          h.orders.tick(h.clock.nowMs()); // slow acks time out: orders in doubt must still count
          if (a.kind === 'quote') {
            await h.step(a.quotes.map((q) => quote(q.side, q.side === 'buy' ? 100 - q.offset : 101 + q.offset, q.size, q.level)));
          } else if (a.kind === 'fill') {
            const resting = h.venue.restingIds();
            const id = resting[a.pick % Math.max(1, resting.length)];
            if (id !== undefined) h.venue.fill(id, a.lots);
          } else if (a.kind === 'deliver') {
            collect();
            for (const s of a.steps) deliverOne(s.pick, s.dup);
          } else if (a.kind === 'process') {
            h.venue.processHeld(a.count);
          } else {
            const event = delivered[a.pick % Math.max(1, delivered.length)];
            if (event !== undefined) h.orders.onEvent(event);
          }
          check();
        }
        // Everything applied and delivered (plus every duplicate once more): the books agree exactly.
        h.venue.processHeld();
        collect();
        while (queues.size > 0) deliverOne(0, false);
        for (const event of delivered) h.orders.onEvent(event);
        expect(h.positions.position(SYMBOL)).toBe(h.venue.executed.get(SYMBOL) ?? 0);
        check();
      }),
      { numRuns: 300 },
    );
  });
});

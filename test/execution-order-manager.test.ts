// Scripted venue faults. Every scenario ends with the manager's live orders equal to the
// venue's open orders and the booked position equal to the venue's executed position.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLive, type ManagedOrder } from '../src/execution/order-state.js';
import type { OrderEvent } from '../src/venues/venue.js';
import { makeHarness, quote, SYMBOL, type Harness } from './helpers/trading-harness.js';

const BID = quote('buy', 100, 5, 0);
const ASK = quote('sell', 102, 5, 0);

async function expectMatchesVenue(h: Harness): Promise<void> {
  h.venue.deliver();
  const { local, venue } = await h.compare();
  expect(local).toEqual(venue);
  expect(h.positions.position(SYMBOL)).toBe(h.venue.executed.get(SYMBOL) ?? 0);
}

describe('order manager against the scripted venue', () => {
  it('places, acknowledges, fills and leaves matching quotes alone', async () => {
    const h = await makeHarness();
    const first = await h.step([BID, ASK]);
    expect(first.batch.places).toHaveLength(2);
    expect(h.orders.liveOrders(SYMBOL).map((o) => o.state)).toEqual(['pending', 'pending']);
    h.venue.deliver();
    expect(h.orders.liveOrders(SYMBOL).map((o) => o.state)).toEqual(['open', 'open']);
    const bidId = first.batch.places[0]?.clientId ?? '';
    h.venue.fill(bidId, 2);
    h.venue.deliver();
    expect(h.orders.order(bidId)).toMatchObject({ state: 'partially-filled', filled: 2 });
    const again = await h.step([BID, ASK]); // nothing changed: nothing sent
    expect(again.batch).toEqual({ cancels: [], places: [] });
    await expectMatchesVenue(h);
    expect(h.positions.snapshot(SYMBOL).fees).toBe(100n * 2n * -100n); // maker rebate
  });

  it('cancels and replaces in one batch when the price moves', async () => {
    const h = await makeHarness();
    await h.step([BID]);
    h.venue.deliver();
    const { batch } = await h.step([quote('buy', 101, 5, 0)]);
    expect(batch.cancels).toHaveLength(1);
    expect(batch.places).toHaveLength(1);
    await expectMatchesVenue(h);
    expect(h.venue.counts.batches).toBe(2);
  });

  it('a rejected place ends rejected and the level is quoted again', async () => {
    const h = await makeHarness();
    h.venue.rejectNextPlace();
    const { batch } = await h.step([BID]);
    h.venue.deliver();
    expect(h.orders.order(batch.places[0]?.clientId ?? '')?.state).toBe('rejected');
    expect(h.orders.anomalies().get('rejected')).toBe(1);
    expect((await h.step([BID])).batch.places).toHaveLength(1);
    await expectMatchesVenue(h);
  });

  it('a dropped ack times out to unknown, blocks a duplicate place, and reconciles to open', async () => {
    const h = await makeHarness({ ackTimeoutMs: 500 });
    h.venue.dropNextAck();
    const { batch } = await h.step([BID]);
    const id = batch.places[0]?.clientId ?? '';
    h.venue.deliver();
    h.clock.advance(500);
    expect(h.orders.tick(h.clock.nowMs())).toEqual({ timedOut: [id], needsReconcile: [SYMBOL] });
    expect((await h.step([BID])).batch.places).toEqual([]); // no duplicate while in doubt
    await h.reconcile();
    expect(h.orders.order(id)?.state).toBe('open');
    expect(h.venue.restingIds()).toEqual([id]);
    await expectMatchesVenue(h);
  });

  it('a place lost on the way is closed as a phantom and quoted again', async () => {
    const h = await makeHarness({ ackTimeoutMs: 500 });
    h.venue.loseNextPlace();
    const { batch } = await h.step([BID]);
    h.clock.advance(600);
    h.orders.tick(h.clock.nowMs());
    const report = await h.reconcile();
    expect(report.phantoms).toEqual([batch.places[0]?.clientId]);
    expect((await h.step([BID])).batch.places).toHaveLength(1);
    await expectMatchesVenue(h);
    expect(h.venue.restingIds()).toHaveLength(1);
  });

  it('a cancel for an order that already filled: the fill counts, the cancel-reject is harmless', async () => {
    const h = await makeHarness();
    const { batch } = await h.step([BID]);
    h.venue.deliver();
    const id = batch.places[0]?.clientId ?? '';
    h.venue.fill(id, 5); // the market fills it before our cancel arrives
    await h.step([quote('buy', 99, 5, 0)]); // cancel id, place the new bid
    h.venue.deliver(); // fill, then cancel-rejected
    expect(h.orders.order(id)).toMatchObject({ state: 'filled', filled: 5 });
    expect(h.orders.symbolsInDoubt()).toEqual([]);
    await expectMatchesVenue(h);
    expect(h.positions.position(SYMBOL)).toBe(5);
  });

  it('a cancel-reject delivered before its fill puts the order in doubt until the fill arrives', async () => {
    const h = await makeHarness();
    const { batch } = await h.step([BID]);
    h.venue.deliver();
    const id = batch.places[0]?.clientId ?? '';
    h.venue.fill(id, 5);
    await h.step([]);
    const [fill, reject] = h.venue.takeEvents();
    if (fill === undefined || reject === undefined) throw new Error('expected two events');
    h.orders.onEvent(reject);
    expect(h.orders.order(id)?.state).toBe('unknown');
    h.orders.onEvent(fill);
    h.orders.onEvent(fill); // duplicated: booked once
    expect(h.orders.order(id)?.state).toBe('filled');
    await h.reconcile();
    await expectMatchesVenue(h);
  });

  it('a lost cancel times out and is resent by reconciliation', async () => {
    const h = await makeHarness({ ackTimeoutMs: 500 });
    await h.step([BID]);
    h.venue.deliver();
    h.venue.loseNextCancel();
    await h.step([]);
    h.clock.advance(500);
    h.orders.tick(h.clock.nowMs());
    const report = await h.reconcile();
    expect(report.batch.cancels).toHaveLength(1);
    await expectMatchesVenue(h);
    expect(h.venue.restingIds()).toEqual([]);
  });

  it('a submit that throws after the venue applied it reconciles to open orders, no duplicates', async () => {
    const h = await makeHarness();
    h.venue.failNextSubmit('timeout reading response', true);
    await h.step([BID, ASK]);
    expect(h.orders.symbolsInDoubt()).toEqual([SYMBOL]);
    expect((await h.step([BID, ASK])).batch.places).toEqual([]);
    await h.reconcile();
    expect((await h.step([BID, ASK])).batch.places).toEqual([]);
    await expectMatchesVenue(h);
    expect(h.venue.restingIds()).toHaveLength(2);
  });

  it('a submit that never arrived reconciles to phantoms and quotes again', async () => {
    const h = await makeHarness();
    h.venue.failNextSubmit('connection refused', false);
    await h.step([BID]);
    expect((await h.reconcile()).phantoms).toHaveLength(1);
    await h.step([BID]);
    await expectMatchesVenue(h);
    expect(h.venue.restingIds()).toHaveLength(1);
  });

  it('a reconnect revealing unknown orders and a lost fill: orphans cancelled, the fill booked once', async () => {
    const h = await makeHarness();
    const { batch } = await h.step([BID]);
    h.venue.deliver();
    const id = batch.places[0]?.clientId ?? '';
    h.venue.inject({ clientId: 'fm-old-1', symbol: SYMBOL, side: 'sell', price: 105, size: 3 });
    h.venue.fill(id, 2);
    h.venue.disconnect(); // the fill event is lost with the connection
    h.venue.reconnect();
    h.orders.markInFlightUncertain(SYMBOL, h.clock.nowMs());
    const report = await h.reconcile();
    expect(report.adopted).toEqual(['fm-old-1']);
    expect(report.missedFillLots).toBe(2);
    expect(h.positions.position(SYMBOL)).toBe(2);
    await expectMatchesVenue(h);
    expect(h.venue.restingIds()).toEqual([id]);
  });

  it('after a restart, adopted orders that match the desired quotes are kept (adopt policy)', async () => {
    const first = await makeHarness({ bootId: 'boot1' });
    await first.step([BID, ASK]);
    first.venue.deliver();
    const second = await makeHarness({ bootId: 'boot2', venue: first.venue, clock: first.clock, orphanPolicy: 'adopt' });
    expect((await second.reconcile()).adopted).toHaveLength(2);
    const { batch } = await second.step([BID, quote('sell', 103, 5, 0)]);
    expect(batch.places).toHaveLength(1); // only the ask moved
    expect(batch.cancels).toHaveLength(1);
    await expectMatchesVenue(second);
    expect(second.venue.restingIds()).toHaveLength(2);
  });

  it('a late accept for an order closed as a phantom revives it and the diff cancels it', async () => {
    const h = await makeHarness({ ackTimeoutMs: 100 });
    const { batch } = await h.step([BID]);
    const id = batch.places[0]?.clientId ?? '';
    const accepted = h.venue.takeEvents();
    // Reconciled against a snapshot taken as if the place had not landed yet.
    h.clock.advance(100);
    h.orders.tick(h.clock.nowMs());
    h.orders.reconcile(SYMBOL, [], h.clock.nowMs());
    expect(h.orders.order(id)?.state).toBe('expired');
    for (const event of accepted) h.orders.onEvent(event);
    expect(h.orders.order(id)?.state).toBe('open');
    await h.step([quote('buy', 99, 5, 0)]);
    await expectMatchesVenue(h);
    expect(h.venue.restingIds()).not.toContain(id);
  });

  it('illegal transitions are counted, never thrown', async () => {
    const h = await makeHarness();
    const { batch } = await h.step([BID]);
    const id = batch.places[0]?.clientId ?? '';
    h.venue.fill(id, 5);
    h.venue.deliver();
    expect(() => h.orders.onEvent({ type: 'rejected', clientId: id, symbol: SYMBOL, reason: 'late', tsNs: 0n })).not.toThrow();
    h.orders.onEvent({ type: 'accepted', clientId: 'nobody', symbol: SYMBOL, tsNs: 0n });
    expect(h.orders.anomalies().get('event-for-unknown-order')).toBe(1);
    await expectMatchesVenue(h);
  });
});

// The manager keeps an index of the orders that may be live (the closed ones kept for late
// events are not scanned) and a queue of closes for pruning. Whatever happens, a look through
// the index must give exactly what a scan of every record gives: the live orders, in the
// records' order; and a closed order is forgotten at the first tick after its retention.
describe('the live-order index', () => {
  type Op =
    | { kind: 'step'; quotes: { side: 'buy' | 'sell'; price: number; size: number }[] }
    | { kind: 'deliver' }
    | { kind: 'hold-events' }
    | { kind: 'release-events' }
    | { kind: 'fill'; pick: number; lots: number }
    | { kind: 'fault'; fault: 'reject' | 'drop-ack' | 'lose-place' | 'lose-cancel' }
    | { kind: 'advance'; ms: number }
    | { kind: 'reconcile'; stale: boolean }
    | { kind: 'reinsert'; pick: number }
    | { kind: 'orphan'; price: number }
    | { kind: 'uncertain' }
    | { kind: 'cancel-all' };
  const side = fc.constantFrom('buy' as const, 'sell' as const);
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('step' as const), quotes: fc.array(fc.record({ side, price: fc.integer({ min: 95, max: 105 }), size: fc.integer({ min: 1, max: 5 }) }), { maxLength: 4 }) }),
    fc.constant({ kind: 'deliver' as const }),
    fc.constant({ kind: 'hold-events' as const }),
    fc.constant({ kind: 'release-events' as const }),
    fc.record({ kind: fc.constant('fill' as const), pick: fc.nat(), lots: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ kind: fc.constant('fault' as const), fault: fc.constantFrom('reject' as const, 'drop-ack' as const, 'lose-place' as const, 'lose-cancel' as const) }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(10, 150, 5_000, 61_000) }),
    fc.record({ kind: fc.constant('reconcile' as const), stale: fc.boolean() }),
    fc.record({ kind: fc.constant('reinsert' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('orphan' as const), price: fc.integer({ min: 95, max: 105 }) }),
    fc.constant({ kind: 'uncertain' as const }),
    fc.constant({ kind: 'cancel-all' as const }),
  );

  it('forgets a closed order 60 s after its last close: closed again (expired, then filled), or its record replaced', async () => {
    const h = await makeHarness({ ackTimeoutMs: 100 });
    const { batch } = await h.step([BID]);
    const id = batch.places[0]?.clientId ?? '';
    h.venue.takeEvents(); // the accept is lost
    h.clock.advance(100);
    h.orders.tick(h.clock.nowMs()); // unanswered: unknown
    h.orders.reconcile(SYMBOL, [], h.clock.nowMs()); // against a snapshot from before the place landed
    expect(h.orders.order(id)?.state).toBe('expired');
    h.clock.advance(30_000);
    h.venue.fill(id, 5);
    h.venue.deliver();
    expect(h.orders.order(id)?.state).toBe('filled'); // closed again, 30 s later
    h.clock.advance(31_000);
    h.orders.tick(h.clock.nowMs());
    expect(h.orders.order(id)?.state).toBe('filled'); // 61 s after the first close, 31 s after the last
    h.clock.advance(30_000);
    h.orders.tick(h.clock.nowMs());
    expect(h.orders.order(id)).toBeUndefined();

    const second = (await h.step([BID])).batch.places[0]?.clientId ?? '';
    h.venue.deliver();
    await h.step([]);
    h.venue.deliver();
    const closed = h.orders.order(second) as ManagedOrder;
    expect(closed.state).toBe('cancelled');
    h.orders.insert({ ...closed });
    h.clock.advance(60_001);
    h.orders.tick(h.clock.nowMs());
    expect(h.orders.order(second)).toBeUndefined();
  });

  it('gives the live orders in the records order, through fills, closes, revivals, adoptions and pruning', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const h = await makeHarness({ ackTimeoutMs: 100, orphanPolicy: 'adopt' });
        let held: OrderEvent[] = [];
        let seen = new Map<string, ManagedOrder>();
        let orphans = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'step':
              h.orders.resume(SYMBOL);
              await h.step(o.quotes.map((q, i) => quote(q.side, q.price, q.size, i)));
              break;
            case 'deliver':
              h.venue.deliver();
              break;
            case 'hold-events':
              held = [...held, ...h.venue.takeEvents()];
              break;
            case 'release-events': // late news: accepts after a reconciliation closed the order revive it
              for (const event of held.splice(0)) h.orders.onEvent(event);
              break;
            case 'fill': {
              const resting = h.venue.restingIds();
              if (resting.length > 0) h.venue.fill(resting[o.pick % resting.length] as string, o.lots);
              break;
            }
            case 'fault':
              if (o.fault === 'reject') h.venue.rejectNextPlace();
              else if (o.fault === 'drop-ack') h.venue.dropNextAck();
              else if (o.fault === 'lose-place') h.venue.loseNextPlace();
              else h.venue.loseNextCancel();
              break;
            case 'advance':
              h.clock.advance(o.ms);
              h.orders.tick(h.clock.nowMs());
              break;
            case 'reconcile': // stale: against a snapshot taken before our places landed (they close as phantoms)
              if (o.stale) await h.submit(h.orders.reconcile(SYMBOL, [], h.clock.nowMs()).batch);
              else await h.reconcile();
              break;
            case 'reinsert': { // a record replaced by a copy (as a restore would)
              const records = h.orders.records(SYMBOL);
              const record = records[o.pick % Math.max(1, records.length)];
              if (record !== undefined) h.orders.insert({ ...record });
              break;
            }
            case 'orphan':
              h.venue.inject({ clientId: `orphan-${(orphans += 1)}`, symbol: SYMBOL, side: 'buy', price: o.price, size: 3 });
              break;
            case 'uncertain':
              h.orders.markInFlightUncertain(SYMBOL, h.clock.nowMs());
              break;
            case 'cancel-all':
              await h.submit(h.orders.cancelAll(SYMBOL, h.clock.nowMs()));
              break;
          }
          const records = h.orders.records(SYMBOL);
          const scanned = records.filter(isLive).map((r) => r.clientId);
          expect(h.orders.liveOrders(SYMBOL).map((r) => r.clientId)).toEqual(scanned);
          // Pruned exactly when closed for longer than the retention (60 s), never before; and after a tick none of those is left.
          const now = h.clock.nowMs();
          const closedLongAgo = (r: ManagedOrder) => r.doneAtMs !== null && now - r.doneAtMs > 60_000;
          const ids = new Set(records.map((r) => r.clientId));
          for (const r of seen.values()) if (!ids.has(r.clientId)) expect(closedLongAgo(r)).toBe(true);
          if (o.kind === 'advance') expect(records.filter(closedLongAgo)).toEqual([]);
          seen = new Map(records.map((r) => [r.clientId, r]));
          expect(h.orders.symbolsInDoubt()).toEqual(records.some((r) => r.state === 'unknown') ? [SYMBOL] : []);
        }
      }),
      { numRuns: 300 },
    );
  });
});

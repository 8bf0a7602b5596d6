// Scripted venue faults. Every scenario ends with the manager's live orders equal to the
// venue's open orders and the booked position equal to the venue's executed position.
import { describe, expect, it } from 'vitest';
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

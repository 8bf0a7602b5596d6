import { describe, expect, it } from 'vitest';
import { ClientIdGenerator, MAX_CLIENT_ID_LENGTH, newBootId } from '../src/execution/client-id.js';
import { diffQuotes, type LiveOrderView } from '../src/execution/diff.js';
import { canTransition, transition, type ManagedOrder } from '../src/execution/order-state.js';
import { quote } from './helpers/trading-harness.js';

function order(overrides: Partial<ManagedOrder> = {}): ManagedOrder {
  return {
    clientId: 'a', symbol: 'X', side: 'buy', price: 100, size: 5, postOnly: true, level: 0, state: 'open', filled: 0,
    inFlight: null, sentAtMs: 0, doneAtMs: null, adopted: false, reason: '', closedLocally: false, ...overrides,
  };
}

describe('order state machine', () => {
  it('walks new → pending → open → partially-filled → filled', () => {
    const o = order({ state: 'new' });
    for (const to of ['pending', 'open', 'partially-filled', 'filled'] as const) expect(transition(o, to, 7, 'x')).toEqual({ ok: true });
    expect(o.doneAtMs).toBe(7);
  });

  it('refuses illegal moves as values, leaving the order unchanged', () => {
    const o = order({ state: 'filled' });
    expect(transition(o, 'open', 1, 'late accept')).toEqual({ ok: false, clientId: 'a', from: 'filled', to: 'open', reason: 'late accept' });
    expect(o.state).toBe('filled');
    expect(canTransition('rejected', 'open')).toBe(false);
    expect(canTransition('cancelled', 'filled')).toBe(true); // a fill before our cancel landed
  });
});

describe('client ids', () => {
  it('are unique, venue-safe, ≤ 36 chars and differ across boots', () => {
    const a = new ClientIdGenerator(newBootId(1_700_000_000_000, () => new Uint8Array([1, 2, 3, 4])));
    const b = new ClientIdGenerator(newBootId(1_700_000_000_000, () => new Uint8Array([9, 9, 9, 9])));
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(a.next()).add(b.next());
    expect(ids.size).toBe(2000);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9-]{1,36}$/);
    expect(a.next().length).toBeLessThanOrEqual(MAX_CLIENT_ID_LENGTH);
    expect(a.isFromThisBoot(a.next())).toBe(true);
    expect(a.isFromThisBoot(b.next())).toBe(false);
    expect(() => new ClientIdGenerator('Bad_Id')).toThrow();
  });
});

describe('diffQuotes', () => {
  const live = (o: Partial<ManagedOrder>): LiveOrderView => order(o);

  it('keeps matching orders, cancels the rest, places what is missing', () => {
    const d = diffQuotes(
      [quote('buy', 100, 5, 0), quote('sell', 103, 5, 0), quote('buy', 99, 5, 1)],
      [live({ clientId: 'keep', price: 100 }), live({ clientId: 'stale', side: 'sell', price: 104 })],
    );
    expect(d.keep).toEqual([{ clientId: 'keep', level: 0 }]);
    expect(d.cancel).toEqual(['stale']);
    expect(d.place.map((q) => q.price)).toEqual([103, 99]);
  });

  it('keeps a partially filled order whose original size matches, and relabels levels', () => {
    const d = diffQuotes([quote('buy', 100, 5, 0)], [live({ clientId: 'p', level: 1, state: 'partially-filled', filled: 2 })]);
    expect(d.keep).toEqual([{ clientId: 'p', level: 0 }]);
    expect(d.place).toEqual([]);
  });

  it('never places a second order on a level whose place is unanswered or in doubt', () => {
    for (const state of ['pending', 'unknown'] as const) {
      const d = diffQuotes([quote('buy', 101, 5, 0)], [live({ clientId: 'p', state })]);
      expect(d.place).toEqual([]);
      expect(d.blocked).toHaveLength(1);
      expect(d.cancel).toEqual([]); // a pending place is cancelled once acknowledged
    }
  });

  it('cancels and replaces in one round when the old order rests', () => {
    const d = diffQuotes([quote('buy', 101, 5, 0)], [live({ clientId: 'old' }), live({ clientId: 'going', state: 'cancelling', level: 0 })]);
    expect(d.cancel).toEqual(['old']);
    expect(d.place).toHaveLength(1);
  });
});

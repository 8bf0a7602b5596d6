import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PositionTracker } from '../src/execution/position.js';
import { feeFor, MONEY_PER_TICK_LOT as M, notional, sideSign, type Side } from '../src/market/types.js';
import { decodeEntry, encodeFill } from '../src/storage/records.js';

const S = 'X';

describe('PositionTracker', () => {
  it('tracks average cost, realised P&L and fees through adds and a partial close', () => {
    const p = new PositionTracker();
    p.applyFill(S, 'buy', 100, 2, 5n);
    p.applyFill(S, 'buy', 103, 1, 5n); // avg = 303/3 = 101
    expect(p.averageEntry(S)).toEqual({ num: 303n * M, den: 3n * M });
    p.applyFill(S, 'sell', 105, 1, -2n); // realise 105 - 101 = 4 ticks×lots
    expect(p.snapshot(S)).toMatchObject({ lots: 2, realised: 4n * M, fees: 8n, entryCost: 202n * M });
    expect(p.unrealised(S, 2 * 102)).toBe(2n * M); // 2 lots × (102 - 101)
    expect(p.pnl(S, 2 * 102).net).toBe(6n * M - 8n);
  });

  it('books fills at half a tick exactly (Sei settles crossing orders at their midpoint)', () => {
    const p = new PositionTracker();
    p.applyFill(S, 'buy', 11_000.5, 2, 0n); // the midpoint of 11 000 and 11 001
    expect(p.averageEntry(S)).toEqual({ num: 22_001n * M, den: 2n * M });
    expect(p.unrealised(S, 22_002)).toBe(M); // marked at 11 001: 2 lots × half a tick
    p.applyFill(S, 'sell', 11_001, 1, 0n);
    expect(p.snapshot(S)).toMatchObject({ lots: 1, realised: M / 2n });
    expect(notional(11_000.5, 3)).toBe(33_001_500_000n);
    expect(feeFor(11_000.5, 1, 3)).toBe(33_002n); // 33 001.5 units: half a unit rounded up
    expect(feeFor(11_000, 2, -100)).toBe(-2_200_000n);
    expect(() => p.applyFill(S, 'buy', 11_000.25, 1, 0n)).toThrow(/whole or half number of ticks/);
    const fill = { clientId: 'c1', fillId: '2', side: 'buy' as const, price: 11_000.5, lots: 2, fee: 0n, liquidity: 'maker' as const, tsNs: 1n };
    const encoded = encodeFill(fill);
    expect(encoded.slice(8, 10)).toEqual(['price', '11000.5']);
    expect(decodeEntry('0-7', encoded)).toEqual({ seq: 7, type: 'fill', fill });
  });

  it('keeps the rounding remainder in the basis and realises it at flat', () => {
    const p = new PositionTracker();
    p.applyFill(S, 'buy', 100, 1, 0n);
    p.applyFill(S, 'buy', 101, 2, 0n); // cost 302e6 over 3 lots does not divide
    p.applyFill(S, 'sell', 101, 1, 0n); // removes trunc(302e6/3) = 100_666_666
    expect(p.snapshot(S).realised).toBe(101n * M - 100_666_666n);
    p.applyFill(S, 'sell', 101, 2, 0n);
    expect(p.snapshot(S)).toMatchObject({ lots: 0, entryCost: 0n, realised: 303n * M - 302n * M });
  });

  it('is exact when a fill flips the position through zero', () => {
    const p = new PositionTracker();
    p.applyFill(S, 'sell', 200, 3, 0n); // short 3 @ 200
    p.applyFill(S, 'buy', 190, 5, 0n); // close 3 (+30), open long 2 @ 190
    expect(p.snapshot(S)).toMatchObject({ lots: 2, realised: 30n * M, entryCost: 380n * M });
    expect(p.unrealised(S, 2 * 189 + 1)).toBe(-1n * M); // mark 189.5: 2 × -0.5
  });

  it('realised + unrealised equals the cash flow marked at the mid, for any fill sequence', () => {
    const fill = fc.record({ side: fc.constantFrom<Side>('buy', 'sell'), price: fc.integer({ min: 1, max: 10_000 }), lots: fc.integer({ min: 1, max: 50 }), fee: fc.bigInt({ min: -100n, max: 100n }) });
    fc.assert(
      fc.property(fc.array(fill, { maxLength: 60 }), fc.integer({ min: 2, max: 20_000 }), (fills, mid2) => {
        const p = new PositionTracker();
        let cash = 0n;
        let fees = 0n;
        let lots = 0;
        for (const f of fills) {
          p.applyFill(S, f.side, f.price, f.lots, f.fee);
          cash -= BigInt(sideSign(f.side) * f.lots) * BigInt(f.price) * M;
          fees += f.fee;
          lots += sideSign(f.side) * f.lots;
        }
        const pnl = p.pnl(S, mid2);
        expect(p.position(S)).toBe(lots);
        expect(pnl.fees).toBe(fees);
        expect(pnl.realised + pnl.unrealised).toBe(cash + (BigInt(lots) * BigInt(mid2) * M) / 2n);
        if (lots === 0) expect(pnl.unrealised).toBe(0n);
      }),
    );
  });
});

// Position, average cost and P&L per market, exact: lots are integers, money is bigint in the
// market's money units (tick × lot × 1e-6, see market/types.ts).
//
// Rounding rule (the only one): the open position carries its entry cost as a bigint sum of
// price × lots × MONEY_PER_TICK_LOT. A partial close removes cost × closed / |position|,
// truncated; the truncated remainder stays in the basis and is realised when the position
// reaches zero, so realised + unrealised always equals the exact cash flow marked at the mid.
// Fees are kept apart from trading P&L (positive = paid, negative = rebate).
import { MONEY_PER_TICK_LOT, notional, sideSign, type Side } from '../market/types.js';

export interface PositionSnapshot {
  /** Signed lots: > 0 long, < 0 short. */
  readonly lots: number;
  /** Entry cost of the open lots in money units (>= 0, whichever the direction). */
  readonly entryCost: bigint;
  /** Realised trading P&L, fees excluded. */
  readonly realised: bigint;
  readonly fees: bigint;
  /** Lots traded, both sides. */
  readonly volumeLots: number;
}

export interface PnlBreakdown {
  readonly realised: bigint;
  readonly unrealised: bigint;
  readonly fees: bigint;
  /** realised + unrealised - fees: the equity the loss and drawdown limits watch. */
  readonly net: bigint;
}

const FLAT: PositionSnapshot = { lots: 0, entryCost: 0n, realised: 0n, fees: 0n, volumeLots: 0 };

export class PositionTracker {
  private readonly books = new Map<string, PositionSnapshot>();

  /** Restores a saved position (restart recovery from storage). */
  restore(symbol: string, snapshot: PositionSnapshot): void {
    this.books.set(symbol, { ...snapshot });
  }

  snapshot(symbol: string): PositionSnapshot {
    return this.books.get(symbol) ?? FLAT;
  }

  position(symbol: string): number {
    return this.snapshot(symbol).lots;
  }

  /** Books one fill: `lots` > 0 at `price` ticks, `fee` in money units. */
  applyFill(symbol: string, side: Side, price: number, lots: number, fee: bigint): PositionSnapshot {
    const before = this.snapshot(symbol);
    const signed = sideSign(side) * lots;
    let { entryCost, realised } = before;
    const fillMoney = notional(price, lots);
    const after = before.lots + signed;

    if (before.lots === 0 || Math.sign(before.lots) === Math.sign(signed)) {
      entryCost += fillMoney; // opening or adding
    } else {
      const closing = Math.min(lots, Math.abs(before.lots));
      const removed = closing === Math.abs(before.lots) ? entryCost : (entryCost * BigInt(closing)) / BigInt(Math.abs(before.lots));
      const exitMoney = notional(price, closing);
      // Long closes by selling (gain = exit - entry); short closes by buying (gain = entry - exit).
      realised += before.lots > 0 ? exitMoney - removed : removed - exitMoney;
      entryCost -= removed;
      const opening = lots - closing; // a flip through zero opens the rest at the same price
      if (opening > 0) entryCost = notional(price, opening);
    }
    const next: PositionSnapshot = {
      lots: after,
      entryCost: after === 0 ? 0n : entryCost,
      realised,
      fees: before.fees + fee,
      volumeLots: before.volumeLots + lots,
    };
    this.books.set(symbol, next);
    return next;
  }

  /**
   * Unrealised P&L at a mark given as twice the mid in ticks (`mid2`), because a mid may be a
   * half tick. Exact: MONEY_PER_TICK_LOT is even.
   */
  unrealised(symbol: string, mid2: number): bigint {
    const { lots, entryCost } = this.snapshot(symbol);
    if (lots === 0) return 0n;
    const markMoney = (BigInt(lots) * BigInt(mid2) * MONEY_PER_TICK_LOT) / 2n;
    return lots > 0 ? markMoney - entryCost : markMoney + entryCost;
  }

  pnl(symbol: string, mid2: number): PnlBreakdown {
    const { realised, fees } = this.snapshot(symbol);
    const unrealised = this.unrealised(symbol, mid2);
    return { realised, unrealised, fees, net: realised + unrealised - fees };
  }

  /** Average entry price as an exact fraction of ticks (`num / den`), or null when flat. */
  averageEntry(symbol: string): { readonly num: bigint; readonly den: bigint } | null {
    const { lots, entryCost } = this.snapshot(symbol);
    if (lots === 0) return null;
    return { num: entryCost, den: BigInt(Math.abs(lots)) * MONEY_PER_TICK_LOT };
  }

  /** Average entry in ticks as a double, for display only. */
  averageEntryTicks(symbol: string): number | null {
    const avg = this.averageEntry(symbol);
    return avg === null ? null : Number(avg.num) / Number(avg.den);
  }

  symbols(): readonly string[] {
    return [...this.books.keys()];
  }
}

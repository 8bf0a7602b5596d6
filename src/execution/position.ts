// Positions per market: one core `Ledger` each (average cost, exact money; the method and its
// rounding rule are in docs/market-state.md). Nothing is computed here: this maps symbols to
// ledgers, so the order manager, the risk checks and the metrics read the one ledger.
import { Ledger, type LedgerSnapshot, type Pnl } from '../native.js';
import type { Side } from '../market/types.js';

export type PositionSnapshot = LedgerSnapshot;
export type PnlBreakdown = Pnl;

export class PositionTracker {
  private readonly ledgers = new Map<string, Ledger>();

  private ledger(symbol: string): Ledger {
    let l = this.ledgers.get(symbol);
    if (l === undefined) {
      l = new Ledger();
      this.ledgers.set(symbol, l);
    }
    return l;
  }

  /** Restores a saved position (restart recovery from storage); throws BAD_SNAPSHOT for an impossible one. */
  restore(symbol: string, snapshot: PositionSnapshot): void {
    this.ledgers.set(symbol, Ledger.restore(snapshot));
  }

  snapshot(symbol: string): PositionSnapshot {
    return this.ledger(symbol).snapshot();
  }

  position(symbol: string): number {
    return this.ledgers.get(symbol)?.position ?? 0;
  }

  /** Books one fill: `lots` > 0 at `price` ticks, `fee` in money units. */
  applyFill(symbol: string, side: Side, price: number, lots: number, fee: bigint): PositionSnapshot {
    return this.ledger(symbol).applyFill(side, price, lots, fee);
  }

  /** Unrealised P&L at a mark given as twice the mid in ticks (`mid2` = best bid + best ask). */
  unrealised(symbol: string, mid2: number): bigint {
    return this.ledger(symbol).unrealised(mid2);
  }

  /** The P&L split and the position at the mark `mid2 / 2` ticks. */
  pnl(symbol: string, mid2: number): PnlBreakdown {
    return this.ledger(symbol).pnl(mid2);
  }

  /** Average entry price as an exact fraction of ticks (`num / den`), or null when flat. */
  averageEntry(symbol: string): { readonly num: bigint; readonly den: bigint } | null {
    return this.ledger(symbol).averageEntry();
  }

  /** Average entry in ticks as a double, for display only. */
  averageEntryTicks(symbol: string): number | null {
    const avg = this.averageEntry(symbol);
    return avg === null ? null : Number(avg.num) / Number(avg.den);
  }

  symbols(): readonly string[] {
    return [...this.ledgers.keys()];
  }
}

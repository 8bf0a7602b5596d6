// Filled-order delay (Hummingbot's filled_order_delay; 60 s by default there, off here:
// docs/controls.md says why): after a fill, no new order is placed for a while, on both sides
// (Hummingbot) or on the filled side only. Orders already resting that the quoter still wants
// (within the refresh tolerance) stay; the others are cancelled and not replaced until the
// delay is over.
import type { DesiredQuote, Side } from '../../market/types.js';
import { quoteMatchesOrder } from '../../execution/diff.js';
import type { QuotingConfig } from '../config.js';
import type { ControlOrder } from './orders.js';

export class FillDelay {
  private readonly lastFillMs: Record<Side, number | null> = { buy: null, sell: null };

  onFill(side: Side, atMs: number): void {
    this.lastFillMs[side] = atMs;
  }

  /** Sides that may not place new orders at `nowMs`. */
  delayedSides(config: QuotingConfig, nowMs: number): Side[] {
    const { seconds, sides } = config.filledOrderDelay;
    const waiting = (side: Side): boolean => {
      const at = this.lastFillMs[side];
      return at !== null && nowMs < at + seconds * 1000;
    };
    const filled = (['buy', 'sell'] as const).filter(waiting);
    return sides === 'both' && filled.length > 0 ? ['buy', 'sell'] : filled;
  }
}

/** Keeps a delayed side's quotes only where a live order already serves them (no new place). */
export function holdDelayedSides(quotes: readonly DesiredQuote[], delayed: readonly Side[], live: readonly ControlOrder[]): DesiredQuote[] {
  if (delayed.length === 0) return [...quotes];
  return quotes.filter((q) => !delayed.includes(q.side) || live.some((o) => quoteMatchesOrder(q, o)));
}

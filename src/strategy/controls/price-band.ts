// Moving price band (Hummingbot's moving_price_band_enabled, price_ceiling_pct, price_floor_pct,
// price_band_refresh_time): a ceiling and a floor set as percent offsets of the mid, re-anchored
// at the mid every refreshSeconds. At or above the ceiling only sells are quoted; at or below
// the floor only buys. Turning it off forgets the anchor, so turning it on anchors afresh.
import type { DesiredQuote } from '../../market/types.js';
import type { QuotingConfig } from '../config.js';

export interface Band {
  readonly floor: number;
  readonly ceiling: number;
  readonly anchoredAtMs: number;
}

export class MovingPriceBand {
  private band: Band | null = null;

  current(): Band | null {
    return this.band;
  }

  apply(config: QuotingConfig, mid: number, nowMs: number, quotes: readonly DesiredQuote[]): DesiredQuote[] {
    const c = config.movingPriceBand;
    if (!c.enabled) {
      this.band = null;
      return [...quotes];
    }
    if (this.band === null || nowMs >= this.band.anchoredAtMs + c.refreshSeconds * 1000) {
      this.band = { floor: mid + (mid * c.floorPct) / 100, ceiling: mid + (mid * c.ceilingPct) / 100, anchoredAtMs: nowMs };
    }
    const { floor, ceiling } = this.band;
    return quotes.filter((q) => !(q.side === 'buy' && mid >= ceiling) && !(q.side === 'sell' && mid <= floor));
  }
}

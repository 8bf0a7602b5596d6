// Inventory target and inventory skew. The target (Hummingbot's inventory_target_base_pct) is a
// position the quoting models skew towards instead of zero: a fixed number of lots
// (inventoryTargetLots), or a share of the account's value held in the base asset, the account
// being the base and quote held at start plus the net P&L since. The skew (inventory_skew_enabled,
// inventory_range_multiplier) scales order sizes as Hummingbot does: within ± rangeMultiplier ×
// the total order size (both sides, every level) of the target, the bid's size goes from 2× to
// 0× and the ask's the other way, linearly; sizes round down to whole lots.
import { MONEY_PER_TICK_LOT, type DesiredQuote, type MarketInfo } from '../../market/types.js';
import { moneyFromDecimal } from '../../risk/limits.js';
import type { QuotingConfig } from '../config.js';

const MONEY_PER_TICK_LOT_F = Number(MONEY_PER_TICK_LOT);

/** The target position (lots) at mid `mid` ticks, with `netPnl` money units made since start. */
export function inventoryTargetLots(config: QuotingConfig, market: MarketInfo, mid: number, netPnl: bigint): number {
  const t = config.inventoryTarget;
  if (t.basePct === undefined) return config.inventoryTargetLots;
  const quoteMoney = Number(moneyFromDecimal(t.quote, market) ?? 0n);
  // Account value in lots of base at the mid: base held + quote held + P&L since start.
  const accountLots = t.baseLots + (quoteMoney + Number(netPnl)) / (mid * MONEY_PER_TICK_LOT_F);
  return Math.round((t.basePct / 100) * accountLots) - t.baseLots;
}

/** Hummingbot's bid size ratio for a position `deviation` lots from the target within ±range lots: 2 → 1 → 0. */
export function bidSizeRatio(deviation: number, range: number): number {
  const x = Math.min(1, Math.abs(deviation) / range);
  return deviation < 0 ? 1 + x : 1 - x;
}

export interface SizeRatios {
  readonly buy: number;
  readonly sell: number;
}

/** The size ratios of each side, or null when the skew is off. */
export function sizeRatios(config: QuotingConfig, positionLots: number, targetLots: number): SizeRatios | null {
  if (!config.inventorySkew.enabled) return null;
  const { levels, sizesLots } = config.ladder;
  let total = 0;
  for (let level = 0; level < levels; level += 1) total += 2 * (sizesLots[Math.min(level, sizesLots.length - 1)] ?? 0);
  const buy = bidSizeRatio(positionLots - targetLots, config.inventorySkew.rangeMultiplier * total);
  return { buy, sell: 2 - buy };
}

/** Sizes scaled by their side's ratio, rounded down to whole lots; a size of 0 drops the quote. */
export function scaleSizes(quotes: readonly DesiredQuote[], ratios: SizeRatios): DesiredQuote[] {
  return quotes.map((q) => ({ ...q, size: Math.floor(q.size * ratios[q.side] + 1e-9) })).filter((q) => q.size > 0);
}

// The quoting controls as `flashmm compare --controls` runs them: each one switched on over a
// recording's calibrated strategy (calibration.ts), with settings scaled to these 6-minute
// recordings (docs/controls.md lists them and why), and everything else unchanged, so a row with
// the control and the row without it differ by the control alone.
import type { QuotingConfigInput } from '../strategy/config.js';
import type { MarketParams } from './calibration.js';

export const CONTROLS = [
  'hanging-orders', 'filled-order-delay', 'ping-pong', 'order-optimization', 'max-order-age', 'inventory-target',
  'inventory-skew', 'moving-price-band', 'execution-timeframe', 'kill-switch-rate', 'trailing-stop',
] as const;
export type ControlName = (typeof CONTROLS)[number];

type Kind = 'fixed' | 'as' | 'glft';

export interface ControlVariant {
  readonly strategy: QuotingConfigInput;
  readonly risk: MarketParams['risk'];
}

/**
 * The recording's `kind` strategy and risk limits with `name` on, or null where the control does
 * not apply (the execution timeframe belongs to AS).
 */
export function withControl(name: ControlName, kind: Kind, p: MarketParams): ControlVariant | null {
  const strategy = p.strategies[kind];
  const risk = p.risk;
  const on = (patch: QuotingConfigInput): ControlVariant => ({ strategy: { ...strategy, ...patch }, risk });
  const stop = (patch: Partial<MarketParams['risk']>): ControlVariant => ({ strategy, risk: { ...risk, capital: risk.maxNotional, ...patch } });
  switch (name) {
    case 'hanging-orders':
      return on({ hangingOrders: { enabled: true, cancelPct: 0.05 } });
    case 'filled-order-delay':
      return on({ filledOrderDelay: { seconds: 2, sides: 'both' } });
    case 'ping-pong':
      return on({ pingPong: { enabled: true } });
    case 'order-optimization':
      return on({ orderOptimization: { enabled: true, bidDepthLots: p.sizeLots, askDepthLots: p.sizeLots } });
    case 'max-order-age':
      return on({ refresh: { ...strategy.refresh, maxOrderAgeSeconds: 5 } });
    case 'inventory-target':
      return on({ inventoryTargetLots: 3 * p.sizeLots });
    case 'inventory-skew':
      return on({ inventorySkew: { enabled: true, rangeMultiplier: 1 } });
    case 'moving-price-band':
      return on({ movingPriceBand: { enabled: true, ceilingPct: 0.05, floorPct: -0.05, refreshSeconds: 60 } });
    case 'execution-timeframe':
      // The backtest's host clock starts at 12:00 UTC: AS quotes 12:01-12:05 with τ to 12:05.
      return kind === 'as' ? on({ as: { ...strategy.as, horizon: 'finite', executionTimeframe: { mode: 'daily-between-times', start: '12:01', end: '12:05' } } }) : null;
    case 'kill-switch-rate':
      return stop({ killSwitchRate: -0.03 });
    case 'trailing-stop':
      return stop({ trailingStopPct: 0.02 });
  }
}

/** Parses `--controls a,b` ('all': every control). */
export function parseControls(list: string): ControlName[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.includes('all')) return [...CONTROLS];
  const unknown = names.filter((n) => !(CONTROLS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown control ${unknown.join(', ')} (one of: ${CONTROLS.join(', ')}, all)`);
  return names as ControlName[];
}

// Generated from the core's Rust output types by ts-rs (crates/flashmm-core/src/json.rs). Do not edit.

export type BacktestResultJson = { config: ConfigEcho, counts: BacktestCounts, sim: SimCountsJson, account: AccountJson, stats: BacktestStats, steps?: Array<StepRecord>, fills?: Array<FillRecord>, requests?: Array<RequestRecord>, reports?: Array<ReportRecord>, };

export type ConfigEcho = { strategy: string, interval_ns: string, end_ns: string | null, 
/**
 * [`FeedDelay::Recorded`]'s offset.
 */
feed_offset_ns: string | null, 
/**
 * [`FeedDelay::Constant`]'s delay (absent from the JSON otherwise).
 */
feed_delay_ns?: string, sequence_rule: string, queue_model: string, self_trade: string, maker_fee_ppm: number, taker_fee_ppm: number, min_size_lots: number, 
/**
 * `constant entry=<ns> response=<ns>` or `interpolated rows=<n>`.
 */
latency: string, };

export type BacktestCounts = { 
/**
 * Market events fed to the exchange.
 */
events: number, 
/**
 * Decisions (strategy calls).
 */
decisions: number, 
/**
 * Steps recorded.
 */
steps: number, 
/**
 * Decisions without a valid two-sided book (no step recorded).
 */
skipped_steps: number, 
/**
 * Events stamped before the clock (applied at the clock).
 */
late_events: number, orders: OrderCounts, requests: number, reports: number, fills: number, rejected: number, };

export type SimCountsJson = { market_events: number, depth_updates: number, trades: number, requests: number, dropped: number, rejected: number, fills: number, maker_fills: number, taker_fills: number, };

export type AccountJson = { position: number, cash: string, fees: string, fills: number, bought_lots: number, sold_lots: number, };

export type BacktestStats = { span: Span, pnl: Pnl, 
/**
 * Returns between consecutive steps (period: `step_interval_ns`).
 */
step_returns: ReturnStats, 
/**
 * Returns of the equity sampled every `resample_ns` from the first step.
 */
resampled_returns: ReturnStats, drawdown: Drawdown, trading: Trading, inventory: Inventory, spread_captured: SpreadCaptured, 
/**
 * One entry per configured horizon, in the configured order.
 */
adverse_selection: Array<AdverseSelection>, };

export type Span = { first_ts: string, last_ts: string, duration_s: number, steps: number, 
/**
 * Best bid and ask of the last step: the mark of the unrealised P&L.
 */
last_bid: number, last_ask: number, };

export type Pnl = { 
/**
 * Realised on closed lots, before fees.
 */
realised: string, 
/**
 * The open lots marked at the mid, before fees.
 */
unrealised: string, 
/**
 * `realised + unrealised`.
 */
gross: string, 
/**
 * Fees paid (negative = net rebate received).
 */
fees: string, 
/**
 * `gross − fees`.
 */
net: string, };

export type ReturnStats = { 
/**
 * Length of one period in seconds.
 */
period_s: number, 
/**
 * Number of returns (periods).
 */
periods: number, 
/**
 * Mean equity change per period, money units (as a float: statistics only).
 */
mean: number | null, 
/**
 * Sample standard deviation (n − 1) of the equity changes, money units.
 */
std: number | null, 
/**
 * Downside deviation `sqrt(Σ min(r, 0)² / n)`, money units.
 */
downside_dev: number | null, 
/**
 * `mean / std` per period; `None` with fewer than 2 returns or zero variance.
 */
sharpe: number | null, 
/**
 * `mean / downside_dev` per period; `None` with fewer than 2 returns or no negative return.
 */
sortino: number | null, 
/**
 * `sharpe × sqrt(SECONDS_PER_YEAR / period_s)`.
 */
sharpe_annualised: number | null, 
/**
 * `sortino × sqrt(SECONDS_PER_YEAR / period_s)`.
 */
sortino_annualised: number | null, };

export type Drawdown = { 
/**
 * `max over i of (peak_i − equity_i)`, `peak_i = max(0, equity_0, …, equity_i)`, money units.
 */
max_abs: string, 
/**
 * `max over i of (peak_i − equity_i) / (capital + peak_i)`; `None` without a capital.
 */
max_rel: number | null, 
/**
 * Timestamp (ns) of the peak before the deepest trough; `None` if there is no drawdown.
 */
peak_ts: string | null, 
/**
 * Timestamp (ns) of the deepest trough; `None` if there is no drawdown.
 */
trough_ts: string | null, 
/**
 * Net P&L divided by `max_abs`; `None` when `max_abs` is 0.
 */
return_over_max_drawdown: number | null, };

export type Trading = { 
/**
 * Number of trades = number of fills.
 */
fills: number, maker_fills: number, taker_fills: number, bought_lots: number, sold_lots: number, 
/**
 * `bought_lots + sold_lots`.
 */
volume_lots: number, maker_lots: number, taker_lots: number, 
/**
 * `Σ price × lots × 10⁶`, money units.
 */
volume_notional: string, 
/**
 * Orders sent, as counted by the backtester (`None`: not given).
 */
orders: OrderCounts | null, 
/**
 * Distinct orders with at least one fill.
 */
filled_orders: number, 
/**
 * `filled_orders / orders.placed`; `None` without counts or with none placed.
 */
order_fill_ratio: number | null, 
/**
 * Steps (all but the last) with at least one quote.
 */
quoted_steps: number, 
/**
 * Quote sides offered over those steps (a two-sided quote counts 2).
 */
quoted_sides: number, 
/**
 * Of `quoted_sides`, those with a fill on that side in `(tᵢ, tᵢ₊₁]`.
 */
filled_sides: number, 
/**
 * `filled_sides / quoted_sides`: the chance a quote is hit within one decision interval.
 */
quote_fill_rate: number | null, };

export type OrderCounts = { 
/**
 * New orders sent (accepted or not).
 */
placed: number, 
/**
 * Amend requests sent.
 */
amended: number, 
/**
 * Cancel requests sent (a cancel-all counts once).
 */
cancelled: number, };

export type Inventory = { 
/**
 * Position after the last fill.
 */
last: number, 
/**
 * Largest `|position|` ever held (after any fill).
 */
max_abs: number, 
/**
 * Mean of `|position|` over the steps (one sample per step).
 */
mean_abs: number, 
/**
 * Time average of `|position|` over `[first step, last step]`, position changing at fills.
 */
time_weighted_abs: number | null, 
/**
 * Time average of the signed position over the same span.
 */
time_weighted: number | null, };

export type SpreadCaptured = { 
/**
 * Fills measured (those with a step at or before them).
 */
fills: number, lots: number, 
/**
 * Fills before the first step (no mid): excluded.
 */
excluded_no_mid: number, 
/**
 * `Σ lots × d × (mid − price)`, money units (exact).
 */
total: string, 
/**
 * Volume-weighted mean, ticks.
 */
mean_ticks: number | null, 
/**
 * Volume-weighted mean of `10⁴ × d × (mid − price) / mid`, basis points.
 */
mean_bps: number | null, };

export type AdverseSelection = { horizon_ns: string, 
/**
 * Fills measured.
 */
fills: number, lots: number, 
/**
 * Fills with `t + h` after the last step: excluded.
 */
excluded_past_end: number, 
/**
 * Fills before the first step (no mid at `t`): excluded.
 */
excluded_no_mid: number, 
/**
 * `Σ lots × adverse`, money units.
 */
adverse_total: string, 
/**
 * Volume-weighted mean adverse move, ticks.
 */
adverse_ticks: number | null, 
/**
 * Volume-weighted mean of `10⁴ × adverse / mid(t)`, bps.
 */
adverse_bps: number | null, 
/**
 * `Σ lots × markout`, money units.
 */
markout_total: string, markout_ticks: number | null, markout_bps: number | null, };

export type EquityPoint = { ts: string, 
/**
 * `cash + position × mid` (net of fees).
 */
net: string, 
/**
 * `net + fees`: the equity had no fee been paid or rebate received.
 */
gross: string, 
/**
 * `running peak − net`, the peak starting at 0.
 */
drawdown: string, };

export type StepRecord = { 
/**
 * Time of the step, ns on the exchange clock.
 */
ts: string, 
/**
 * Best bid of the public book, ticks.
 */
bid: number, 
/**
 * Best ask of the public book, ticks. The mid is `(bid + ask) / 2`, kept exact.
 */
ask: number, 
/**
 * Our position in lots (positive = long), every fill stamped `≤ ts` included.
 */
position: number, 
/**
 * Our cash ([`Account::cash`]: notional received − paid − fees), every fill `≤ ts` included.
 */
cash: string, 
/**
 * Cumulative fees paid ([`Account::fees`]; negative = net rebate).
 */
fees: string, 
/**
 * Price (ticks) of our best bid quote after the decision, `None` if we do not bid.
 */
quote_bid: number | null, 
/**
 * Price (ticks) of our best ask quote after the decision, `None` if we do not offer.
 */
quote_ask: number | null, };

export type FillRecord = { 
/**
 * When the fill happened, ns on the exchange clock (the execution time, not the time we
 * learn of it).
 */
ts: string, 
/**
 * Our order's client id; fills of one order share it (counts filled orders).
 */
order: number, 
/**
 * Our side: [`Side::Buy`] = we bought.
 */
side: Side, 
/**
 * Execution price, ticks.
 */
price: number, 
/**
 * Lots filled (> 0).
 */
lots: number, 
/**
 * Fee paid, exact money units (negative = rebate).
 */
fee: string, liquidity: Liquidity, };

export type RequestRecord = { send_ts: string, 
/**
 * Arrival at the exchange (`None`: dropped).
 */
arrival_ts: string | null, 
/**
 * `new`, `cancel`, `amend`, `cancel-all`.
 */
kind: string, client_id: number, side: string | null, 
/**
 * Limit price (new limit, amend), ticks.
 */
price: number | null, lots: number | null, post_only: boolean | null, };

export type ReportRecord = { client_id: number, exchange_ts: string, local_ts: string, 
/**
 * `accepted`, `rejected`, `fill`, `cancelled`, `cancel-rejected`, `amended`,
 * `amend-rejected`, `cancel-all-done`.
 */
kind: string, 
/**
 * Reason of a rejection or cancellation, trigger of a fill.
 */
detail: string | null, side: string | null, price: number | null, lots: number | null, leaves: number | null, fee: string | null, };

export type LedgerSnapshot = { 
/**
 * Signed lots: > 0 long, < 0 short.
 */
lots: number, 
/**
 * Entry cost of the open lots, money units (>= 0).
 */
entry_cost: string, 
/**
 * Realised P&L, fees excluded.
 */
realised: string, fees: string, 
/**
 * Lots traded, both sides.
 */
volume_lots: number, };

export type Side = "buy" | "sell";

export type Liquidity = "maker" | "taker";

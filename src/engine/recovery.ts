// Restart recovery of one market (docs/storage.md, "Restart"): restore → reconcile → quote.
// The market is halted (breaker condition 'recovery') from the daemon's start until this
// succeeds; its venue events are held meanwhile and booked after, in order.
//
// 1. Read the checkpoint and the journal after it (an unreachable Redis: stay halted, retry).
// 2. A venue that keeps our account (the remote sim venue) gives our orders, our fills since
//    just before the checkpoint and our position at one instant: every one of those fills is
//    journaled (the journal's idempotency key drops those it has), and the journal is read again.
//    Nothing the venue did while we were down is then missing or counted twice.
// 3. The ledger is restored from the checkpoint and the tail's fills; the live orders are put
//    back in the order manager as 'unknown' (only the venue can say what became of them).
// 4. decideRecovery compares that with the venue (and its position, when it has one): resume
//    with its exact corrections, or stay halted with its reason.
// 5. The order manager reconciles with the venue (orphans cancelled, gone orders closed), the
//    checkpoint is written, the halt is lifted.
// An ephemeral venue (the embedded simulator) has nothing of an earlier run: the market starts
// flat, and a checkpoint says so (the journal's earlier entries are kept, superseded).
import { errorMessage } from '../errors.js';
import type { ManagedOrder } from '../execution/order-state.js';
import { decideRecovery } from '../storage/recovery.js';
import type { StoredOrder } from '../storage/records.js';
import type { RestoredMarket } from '../storage/restore.js';
import type { Clock } from '../execution/clock.js';
import type { OrderManager } from '../execution/order-manager.js';
import type { PositionTracker } from '../execution/position.js';
import type { RiskManager } from '../risk/risk-manager.js';
import type { Logger } from '../telemetry/logger.js';
import type { Venue, VenueAccount, VenueOrder } from '../venues/venue.js';
import { fillRecord, type EnginePersistence, type MarketPersistence } from './persistence.js';

/** Fills asked of the venue start this long before the checkpoint (a report in flight at the crash). */
export const FILLS_MARGIN_MS = 60_000;

/** What recovery works on: the daemon's venue, order manager, ledgers and breakers. */
export interface DaemonParts {
  readonly venue: Venue;
  readonly orders: OrderManager;
  readonly positions: PositionTracker;
  readonly risk: RiskManager;
  readonly clock: Clock;
  readonly log: Logger;
}

export type RecoveryResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly retry: boolean; readonly code: string; readonly reason: string };

const FLAT = { lots: 0, entryCost: 0n, realised: 0n, fees: 0n, volumeLots: 0 };

export async function recoverMarket(p: EnginePersistence, parts: DaemonParts, symbol: string): Promise<RecoveryResult> {
  const m = p.market(symbol);
  if (m === undefined) return { ok: false, retry: false, code: 'unknown-market', reason: `no market ${symbol}` };
  m.holding = true;
  let result: RecoveryResult;
  try {
    result = await recover(p, m, parts);
  } catch (err) {
    result = { ok: false, retry: true, code: 'recovery-failed', reason: errorMessage(err) };
  }
  if (result.ok) parts.risk.recovered(symbol, parts.clock.nowMs());
  else parts.risk.recoveryHalted(symbol, `${result.code}: ${result.reason}`, parts.clock.nowMs());
  // The venue's events wait for the retry while the market is not restored (booked on a ledger
  // not restored yet, they would be lost or counted twice); after a final decision they go on.
  if (result.ok || !result.retry) p.release(m);
  return result;
}

async function recover(p: EnginePersistence, m: MarketPersistence, parts: DaemonParts): Promise<RecoveryResult> {
  const { venue, orders, positions, clock, log } = parts;
  const symbol = m.symbol;
  let restored = await read(p, m);
  if (!restored.ok) return restored.result;
  if (venue.ephemeral === true) return startFlat(p, m, parts, restored.market);

  let account: VenueAccount | null = null;
  if (venue.accountSnapshot !== undefined) {
    const checkpointMs = restored.market.checkpoint?.atMs;
    const sinceNs = checkpointMs === undefined ? 0n : BigInt(Math.max(0, checkpointMs - FILLS_MARGIN_MS)) * 1_000_000n;
    account = await venue.accountSnapshot(symbol, sinceNs);
    if (!account.complete) return halt('venue-history-short', `${symbol}: the venue no longer keeps our fills back to the checkpoint`);
    let appended = 0;
    for (const fill of account.fills) {
      const receipt = await m.store!.journalFill(fillRecord(fill, fill.fillId));
      if (receipt.status === 'buffered') return { ok: false, retry: true, code: 'redis-unavailable', reason: `${symbol}: redis became unreachable while the venue's fills were journaled` };
      if (receipt.status === 'fenced') return halt('fenced', `${symbol}: another daemon took the market's lease during the recovery`);
      if (receipt.status === 'durable') appended += 1;
    }
    if (appended > 0) {
      log.warn({ symbol, fills: appended }, "fills the journal lacked (made while the daemon was down) journaled from the venue's account");
      restored = await read(p, m);
      if (!restored.ok) return restored.result;
    }
  }

  const r = restored.market;
  try {
    positions.restore(symbol, r.checkpoint?.position ?? FLAT);
    for (const f of r.fillsToReplay) positions.applyFill(symbol, f.side, f.price, f.lots, f.fee);
  } catch (err) {
    return halt('corrupt-state', `${symbol}: the restored position is impossible: ${errorMessage(err)}`);
  }
  for (const o of r.openOrders) orders.insert(managed(symbol, o, clock.nowMs()));
  for (const o of [...r.openOrders, ...r.closedOrders]) m.known.add(o.clientId);
  m.lastBookedSeq = r.lastSeq;

  const venueOrders = account?.orders ?? (await venue.openOrders(symbol));
  const decision = decideRecovery({
    restored: r, venueOrders, ledgerLots: positions.position(symbol),
    ...(account === null ? {} : { venuePositionLots: account.positionLots }),
  });
  if (decision.action === 'halt') {
    await reconcile(p, m, parts, venueOrders); // pull our orders: a halted market rests nothing
    return halt(decision.code, decision.reason);
  }
  // decision.missedFills are what reconciliation books now (journaled through onMissedFill).
  await reconcile(p, m, parts, venueOrders);
  const detail = `position ${positions.position(symbol)} lots, ${r.openOrders.length} orders restored, ${decision.orphans.length} orphans, ${decision.gone.length} gone, ${decision.missedFills.length} missed fills`;
  log.info({ symbol, lastSeq: m.lastBookedSeq, position: positions.position(symbol), venuePosition: account?.positionLots }, `recovered from Redis: ${detail}`);
  return { ok: true, detail };
}

function halt(code: string, reason: string): RecoveryResult {
  return { ok: false, retry: false, code, reason };
}

type Read = { ok: true; market: RestoredMarket } | { ok: false; result: RecoveryResult };

/**
 * The market's checkpoint and journal tail. A retry first waits for the writes an earlier
 * attempt queued (a writer restored now continues from Redis's last seq, which must be theirs).
 */
async function read(p: EnginePersistence, m: MarketPersistence): Promise<Read> {
  if (m.store !== null) await p.store.drained();
  const outcome = await p.store.restore([m.symbol], undefined, { [m.symbol]: m.fence });
  if (!outcome.ok) return { ok: false, result: { ok: false, retry: true, code: 'redis-unavailable', reason: outcome.reason } };
  m.store = p.store.market(m.symbol);
  return { ok: true, market: outcome.markets.get(m.symbol)! };
}

async function startFlat(p: EnginePersistence, m: MarketPersistence, parts: DaemonParts, r: RestoredMarket): Promise<RecoveryResult> {
  const had = r.checkpoint !== null && (r.checkpoint.position.lots !== 0 || r.openOrders.length > 0);
  if (had) parts.log.warn({ symbol: m.symbol, position: r.checkpoint?.position.lots, orders: r.openOrders.length }, 'the embedded sim venue starts empty each run: the state Redis has of an earlier run is superseded');
  m.lastBookedSeq = r.lastSeq;
  await reconcile(p, m, parts, await parts.venue.openOrders(m.symbol));
  return { ok: true, detail: 'started flat (ephemeral venue)' };
}

/** The order manager made equal to the venue; the checkpoint written after. */
async function reconcile(p: EnginePersistence, m: MarketPersistence, parts: DaemonParts, venueOrders: readonly VenueOrder[]): Promise<void> {
  const report = parts.orders.reconcile(m.symbol, venueOrders, parts.clock.nowMs());
  if (report.batch.cancels.length + report.batch.places.length > 0) await parts.venue.submit(report.batch);
  p.checkpointNow(m);
}

/** A restored live order back in the order manager: in doubt until the venue is read. */
function managed(symbol: string, o: StoredOrder, nowMs: number): ManagedOrder {
  return {
    clientId: o.clientId, symbol, side: o.side, price: o.price, size: o.size, postOnly: o.postOnly, level: o.level,
    state: 'unknown', filled: o.filled,
    // A cancel that was in flight is resent if the order is still there; nothing else is in flight.
    inFlight: o.state === 'cancelling' ? 'cancel' : null,
    sentAtMs: nowMs, doneAtMs: null, adopted: false, reason: `restored (${o.state})`, closedLocally: false,
  };
}

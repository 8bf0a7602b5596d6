#!/usr/bin/env python3
"""FlashMM vs hftbacktest: the same backtest in both, timed in the same run.

Recording: usdm_btcusdt_20240808.gz (from hftbacktest's own examples), converted with
hftbacktest's converter into a temp dir (never into the repo).

Strategy (FlashMM's built-in Quoter, `--mode join`): every 100 ms of exchange time, join the best
bid and ask with 1 lot (0.001 BTC, tick 0.1), post-only (GTX); move a quote when the touch moves
(hftbacktest: `modify`, which re-queues at the new price, as our amend does); quote a side only if
one more fill keeps |position| <= 10 lots; send nothing while a request is in flight.
Power-2 probabilistic queue, constant 5 ms entry and 5 ms response latency, maker -0.5 bp,
taker 4 bp.

Usage: python3 bench/hftbacktest/compare.py [--data FILE.gz] [--tmp DIR] [--repeat N] [--json OUT]
Run from the repository root (needs `dist/cli.js` built and `pip install hftbacktest`).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
from numba import njit

from hftbacktest import BacktestAsset, HashMapMarketDepthBacktest, GTX, LIMIT
from hftbacktest.order import NONE, NEW, PARTIALLY_FILLED, EXPIRED
from hftbacktest.data.utils import binancefutures

TICK = 0.1
LOT = 0.001
INTERVAL_NS = 100_000_000
LIMIT_LOTS = 10
LOTS = 1
MAKER_FEE = -0.00005
TAKER_FEE = 0.0004
LATENCY_NS = 5_000_000

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


@njit
def quoter(hbt, out):
    """Join-touch two-sided quoter. out[0..7] = steps, submits, modifies, cancels, failed
    requests, last mid, skipped decisions (request in flight), expired (post-only rejected) orders."""
    asset = 0
    next_id = 1
    bid_id = 0  # 0: no live bid
    ask_id = 0
    steps = 0
    submits = 0
    modifies = 0
    cancels = 0
    failed = 0
    inflight_skips = 0
    expired = 0
    last_mid = np.nan
    while hbt.elapse(INTERVAL_NS) == 0:
        steps += 1
        depth = hbt.depth(asset)
        bb_tick = depth.best_bid_tick
        ba_tick = depth.best_ask_tick
        # Which of our orders are still live, and is any request in flight?
        orders = hbt.orders(asset)
        inflight = False
        bid_live = False
        ask_live = False
        bid_px_tick = 0
        ask_px_tick = 0
        values = orders.values()
        while values.has_next():
            o = values.get()
            if o.req != NONE:
                inflight = True
            if o.status == EXPIRED:
                expired += 1  # a post-only order that would have crossed (seen once: cleared below)
            if o.status == NEW or o.status == PARTIALLY_FILLED:
                if o.order_id == bid_id:
                    bid_live = True
                    bid_px_tick = o.price_tick
                elif o.order_id == ask_id:
                    ask_live = True
                    ask_px_tick = o.price_tick
        hbt.clear_inactive_orders(asset)
        if not inflight:
            if not bid_live:
                bid_id = 0  # filled, canceled or expired (and now cleared)
            if not ask_live:
                ask_id = 0
        valid = bb_tick < ba_tick and depth.best_bid > 0 and depth.best_ask > 0 and depth.best_ask < 1e300
        if valid:
            last_mid = (depth.best_bid + depth.best_ask) / 2.0
        if inflight:
            inflight_skips += 1
            continue
        pos_lots = int(round(hbt.position(asset) / LOT))
        if not valid:
            if bid_live:
                hbt.cancel(asset, bid_id, False)
                cancels += 1
            if ask_live:
                hbt.cancel(asset, ask_id, False)
                cancels += 1
            continue
        want_bid = abs(pos_lots + LOTS) <= LIMIT_LOTS
        want_ask = abs(pos_lots - LOTS) <= LIMIT_LOTS
        # bid side
        if want_bid:
            if bid_live:
                if bid_px_tick != bb_tick:
                    if hbt.modify(asset, bid_id, bb_tick * TICK, LOTS * LOT, False) == 0:
                        modifies += 1
                    else:
                        failed += 1
            elif bid_id == 0:
                bid_id = next_id
                next_id += 1
                if hbt.submit_buy_order(asset, bid_id, bb_tick * TICK, LOTS * LOT, GTX, LIMIT, False) == 0:
                    submits += 1
                else:
                    failed += 1
        elif bid_live:
            hbt.cancel(asset, bid_id, False)
            cancels += 1
        # ask side
        if want_ask:
            if ask_live:
                if ask_px_tick != ba_tick:
                    if hbt.modify(asset, ask_id, ba_tick * TICK, LOTS * LOT, False) == 0:
                        modifies += 1
                    else:
                        failed += 1
            elif ask_id == 0:
                ask_id = next_id
                next_id += 1
                if hbt.submit_sell_order(asset, ask_id, ba_tick * TICK, LOTS * LOT, GTX, LIMIT, False) == 0:
                    submits += 1
                else:
                    failed += 1
        elif ask_live:
            hbt.cancel(asset, ask_id, False)
            cancels += 1
    out[0] = steps
    out[1] = submits
    out[2] = modifies
    out[3] = cancels
    out[4] = failed
    out[5] = last_mid
    out[6] = inflight_skips
    out[7] = expired
    return True


def convert(src, tmp):
    os.makedirs(tmp, exist_ok=True)
    npz = os.path.join(tmp, os.path.basename(src).replace('.gz', '.npz'))
    if not os.path.exists(npz):
        print(f'converting {src} -> {npz} (hftbacktest.data.utils.binancefutures.convert)', file=sys.stderr)
        binancefutures.convert(src, output_filename=npz)
    return npz


def time_convert(src, tmp):
    """Wall time of hftbacktest's gz -> npz conversion (a scratch copy, deleted)."""
    out = os.path.join(tmp, 'convert-timing.npz')
    t0 = time.perf_counter()
    binancefutures.convert(src, output_filename=out)
    dt = time.perf_counter() - t0
    os.remove(out)
    return dt


def time_node_start(repeat):
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(['node', '-e', '0'], check=True)
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def build(npz):
    asset = (
        BacktestAsset()
        .data([npz])
        .linear_asset(1.0)
        .constant_order_latency(LATENCY_NS, LATENCY_NS)
        .power_prob_queue_model(2.0)
        .no_partial_fill_exchange()
        .trading_value_fee_model(MAKER_FEE, TAKER_FEE)
        .tick_size(TICK)
        .lot_size(LOT)
    )
    return HashMapMarketDepthBacktest([asset])


def run_hbt(npz):
    t0 = time.perf_counter()
    hbt = build(npz)
    t1 = time.perf_counter()
    out = np.zeros(8, np.float64)
    quoter(hbt, out)
    t2 = time.perf_counter()
    sv = hbt.state_values(0)
    res = dict(
        load_s=t1 - t0, loop_s=t2 - t1,
        position_lots=round(sv.position / LOT), balance=sv.balance, fee=sv.fee,
        fills=int(sv.num_trades), volume=sv.trading_volume, steps=int(out[0]), submits=int(out[1]),
        modifies=int(out[2]), cancels=int(out[3]), failed=int(out[4]), last_mid=float(out[5]),
        inflight_skips=int(out[6]), expired=int(out[7]),
    )
    # Equity as hftbacktest's Recorder defines it: balance + position * mid - fee.
    res['net'] = sv.balance + sv.position * res['last_mid'] - sv.fee
    hbt.close()
    return res


def run_flashmm(src, repeat):
    cmd = ['node', os.path.join(REPO, 'dist', 'cli.js'), 'backtest', src, '--json',
           '--maker-fee-ppm', '-50', '--taker-fee-ppm', '400']
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
        times.append(time.perf_counter() - t0)
        out = p.stdout
    d = json.loads(out)
    scale = 1e10  # money units per USDT (USD-M BTCUSDT spec; net -8803422550 = -0.880342255 USDT)
    return dict(
        cmd=' '.join(cmd), times=times, wall_s=statistics.median(times),
        fills=d['account']['fills'], position_lots=d['account']['position'],
        net=int(d['stats']['pnl']['net']) / scale, fees=int(d['stats']['pnl']['fees']) / scale,
        steps=d['counts']['steps'], orders=d['counts']['orders'], rejected=d['counts']['rejected'],
        events=d['counts']['events'],
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(os.environ.get('FLASHMM_DATA_DIR', '/work/shared/data'),
                                                   'binance', 'usdm_btcusdt_20240808.gz'))
    ap.add_argument('--tmp', default=os.path.join(tempfile.gettempdir(), 'flashmm-hbt'))
    ap.add_argument('--repeat', type=int, default=3)
    ap.add_argument('--json', help='write the raw numbers here')
    a = ap.parse_args()

    npz = convert(a.data, a.tmp)
    rows = len(np.load(npz)['data'])
    first = run_hbt(npz)  # includes numba JIT compile
    runs = [run_hbt(npz) for _ in range(a.repeat)]
    h = sorted(runs, key=lambda r: r['loop_s'])[len(runs) // 2]
    h_loop = statistics.median(r['loop_s'] for r in runs)
    h_total = statistics.median(r['loop_s'] + r['load_s'] for r in runs)
    f = run_flashmm(a.data, a.repeat)
    node0 = time_node_start(a.repeat)
    conv = time_convert(a.data, a.tmp)

    print(f'hftbacktest: {rows} rows in {npz}; first run (with JIT) {first["load_s"] + first["loop_s"]:.3f} s; '
          f'runs {[round(r["load_s"] + r["loop_s"], 3) for r in runs]} s (build + loop); '
          f'gz -> npz conversion {conv:.3f} s (not in the table)')
    print(f'hftbacktest: {h["steps"]} steps, {h["submits"]} orders, {h["modifies"]} modifies, {h["cancels"]} cancels, '
          f'{h["failed"]} failed requests, {h["expired"]} post-only expired, {h["inflight_skips"]} decisions skipped (request in flight)')
    print(f'FlashMM:     {f["events"]} messages, {f["steps"]} steps, orders {f["orders"]}, rejected {f["rejected"]}; '
          f'runs {[round(t, 3) for t in f["times"]]} s')
    print()
    w = 34
    print(f'{"":{w}} {"FlashMM (CLI)":>16} {"hftbacktest":>16}')
    print(f'{"wall time, load + run (s)":{w}} {f["wall_s"]:16.3f} {h_total:16.3f}')
    print(f'{"wall time, run loop only (s)":{w}} {"-":>16} {h_loop:16.3f}')
    print(f'{"`node -e 0` start (s)":{w}} {node0:16.3f} {"-":>16}')
    print(f'{"ratio hftbacktest/FlashMM (wall)":{w}} {h_total / f["wall_s"]:16.2f}')
    print(f'{"events/s (level rows, loop)":{w}} {"-":>16} {rows / h_loop:16.3e}')
    print(f'{"fills":{w}} {f["fills"]:16d} {h["fills"]:16d}')
    print(f'{"fees (USDT, <0 = rebate)":{w}} {f["fees"]:16.6f} {h["fee"]:16.6f}')
    print(f'{"net P&L (USDT)":{w}} {f["net"]:16.6f} {h["net"]:16.6f}')
    print(f'{"final position (lots)":{w}} {f["position_lots"]:16d} {h["position_lots"]:16d}')
    if a.json:
        with open(a.json, 'w') as fh:
            json.dump(dict(rows=rows, hbt_first=first, hbt_runs=runs, hbt_loop_median=h_loop,
                           hbt_total_median=h_total, hbt_convert_s=conv, node_start_s=node0, flashmm=f), fh, indent=1)


if __name__ == '__main__':
    main()

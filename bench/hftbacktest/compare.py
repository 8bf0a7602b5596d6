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

Each side reads its own pre-converted data: FlashMM its event cache (`flashmm convert`),
hftbacktest its npz (its converter); both conversions are timed too. The runs are interleaved
(hftbacktest, FlashMM on the cache, FlashMM on the gzip, FlashMM on hftbacktest's npz) so that
the load of a shared machine falls on all of them alike; medians are reported.

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
    """Wall time of hftbacktest's gz -> npz conversion (a scratch copy, deleted; in-process, so
    without Python's start-up and the import of hftbacktest, and with its JIT already warm)."""
    out = os.path.join(tmp, 'convert-timing.npz')
    t0 = time.perf_counter()
    binancefutures.convert(src, output_filename=out)
    dt = time.perf_counter() - t0
    os.remove(out)
    return dt


def flashmm_convert(src, out):
    """`flashmm convert` (a whole CLI run, Node start included); returns its wall time."""
    t0 = time.perf_counter()
    subprocess.run(['node', os.path.join(REPO, 'dist', 'cli.js'), 'convert', src, '--out', out],
                   cwd=REPO, check=True, capture_output=True)
    return time.perf_counter() - t0


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


def run_flashmm_inprocess(src, repeat):
    """FlashMM's runs inside one warm Node process (bench/hftbacktest/inprocess.mjs), the
    counterpart of hftbacktest's timed runs inside this Python process."""
    p = subprocess.run(['node', os.path.join(REPO, 'bench', 'hftbacktest', 'inprocess.mjs'), src, str(repeat)],
                       cwd=REPO, capture_output=True, text=True, check=True)
    d = json.loads(p.stdout)
    return d['times'], d['json']


def time_hbt_fresh(npz, repeat):
    """hftbacktest as a user runs it from a shell: a new Python process that imports it, JIT-
    compiles the strategy and runs it once (this script with --hbt-once)."""
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, os.path.abspath(__file__), '--hbt-once', npz], check=True, capture_output=True)
        ts.append(time.perf_counter() - t0)
    return ts


def flashmm_cmd(src, *extra):
    return ['node', os.path.join(REPO, 'dist', 'cli.js'), 'backtest', src, '--json',
            '--maker-fee-ppm', '-50', '--taker-fee-ppm', '400', *extra]


def run_flashmm_once(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0, p.stdout


def flashmm_result(cmd, times, out):
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
    ap.add_argument('--hbt-once', metavar='NPZ', help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.hbt_once:
        print(json.dumps(run_hbt(a.hbt_once)))
        return

    npz = convert(a.data, a.tmp)
    cache = os.path.join(a.tmp, os.path.basename(a.data) + '.fmcache')
    rows = len(np.load(npz)['data'])
    first = run_hbt(npz)  # includes numba JIT compile
    fconv = [flashmm_convert(a.data, cache) for _ in range(a.repeat)]
    cmds = dict(cache=flashmm_cmd(cache), gzip=flashmm_cmd(a.data, '--no-cache'),
                npz=flashmm_cmd(npz, '--market', 'usdm:BTCUSDT'))
    runs, ftimes, fout = [], {k: [] for k in cmds}, {}
    for _ in range(a.repeat):
        runs.append(run_hbt(npz))
        for k, cmd in cmds.items():
            dt, fout[k] = run_flashmm_once(cmd)
            ftimes[k].append(dt)
    fr = {k: flashmm_result(cmds[k], ftimes[k], fout[k]) for k in cmds}
    assert fout['cache'] == fout['gzip'], 'the backtest from the cache differs from the one from the gzip'
    f = fr['cache']
    h = sorted(runs, key=lambda r: r['loop_s'])[len(runs) // 2]
    h_loop = statistics.median(r['loop_s'] for r in runs)
    h_total = statistics.median(r['loop_s'] + r['load_s'] for r in runs)
    inproc_times, inproc_json = run_flashmm_inprocess(cache, a.repeat + 1)
    assert inproc_json + '\n' == fout['cache'], 'the in-process run differs from the CLI run'
    inproc = statistics.median(inproc_times[1:])  # the first run pays the page faults of the map
    fresh = time_hbt_fresh(npz, min(a.repeat, 3))
    node0 = time_node_start(a.repeat)
    conv = statistics.median(time_convert(a.data, a.tmp) for _ in range(a.repeat))
    load = os.getloadavg()[0]

    print(f'load average {load:.1f} (1 min) at the end; medians of {a.repeat} interleaved runs')
    print(f'hftbacktest: {rows} rows in {npz}; first run (with JIT) {first["load_s"] + first["loop_s"]:.3f} s; '
          f'runs {[round(r["load_s"] + r["loop_s"], 3) for r in runs]} s (build + loop)')
    print(f'hftbacktest: {h["steps"]} steps, {h["submits"]} orders, {h["modifies"]} modifies, {h["cancels"]} cancels, '
          f'{h["failed"]} failed requests, {h["expired"]} post-only expired, {h["inflight_skips"]} decisions skipped (request in flight)')
    print(f'FlashMM:     {f["events"]} messages, {f["steps"]} steps, orders {f["orders"]}, rejected {f["rejected"]}; '
          f'runs on the cache {[round(t, 3) for t in f["times"]]} s (JSON identical to the run on the gzip)')
    print(f'FlashMM on the gzip (--no-cache): {fr["gzip"]["wall_s"]:.3f} s; on hftbacktest\'s npz: {fr["npz"]["wall_s"]:.3f} s, '
          f'{fr["npz"]["fills"]} fills, net {fr["npz"]["net"]:.6f} USDT')
    print()
    w = 38
    print(f'{"":{w}} {"FlashMM":>16} {"hftbacktest":>16}')
    print(f'{"in one warm process, load + run (s)":{w}} {inproc:16.3f} {h_total:16.3f}')
    print(f'{"ratio hftbacktest/FlashMM":{w}} {h_total / inproc:16.2f}')
    print(f'{"run loop only (s)":{w}} {"-":>16} {h_loop:16.3f}')
    print(f'{"from a shell, new process (s)":{w}} {f["wall_s"]:16.3f} {statistics.median(fresh):16.3f}')
    print(f'{"ratio hftbacktest/FlashMM":{w}} {statistics.median(fresh) / f["wall_s"]:16.2f}')
    print(f'{"`node -e 0` start (s)":{w}} {node0:16.3f} {"-":>16}')
    print(f'{"conversion from the gzip (s)":{w}} {statistics.median(fconv):16.3f} {conv:16.3f}')
    print(f'{"events/s (level rows, loop)":{w}} {"-":>16} {rows / h_loop:16.3e}')
    print(f'{"fills":{w}} {f["fills"]:16d} {h["fills"]:16d}')
    print(f'{"fees (USDT, <0 = rebate)":{w}} {f["fees"]:16.6f} {h["fee"]:16.6f}')
    print(f'{"net P&L (USDT)":{w}} {f["net"]:16.6f} {h["net"]:16.6f}')
    print(f'{"final position (lots)":{w}} {f["position_lots"]:16d} {h["position_lots"]:16d}')
    if a.json:
        with open(a.json, 'w') as fh:
            json.dump(dict(rows=rows, load=load, hbt_first=first, hbt_runs=runs, hbt_loop_median=h_loop,
                           hbt_total_median=h_total, hbt_convert_s=conv, flashmm_convert_s=fconv,
                           node_start_s=node0, flashmm=fr, flashmm_inprocess_s=inproc_times,
                           hbt_fresh_process_s=fresh), fh, indent=1)


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Sweep throughput (points/s): the local `flashmm sweep` (worker threads) against
`flashmm sweep --redis` with 1 and 2 `flashmm worker` processes on BullMQ, same grid, same
machine, runs interleaved; medians. Every queued run's --json output is checked byte-identical
to the local one.

Starts its own redis-server on a free loopback port (Debian's `redis-server`). Inputs: the
recording (`--no-cache` is not used: give the gzip for the decode-bound case) and its event
cache (made with `flashmm convert` into --tmp), so both a decode-bound and an overhead-bound
point are measured.

Usage: python3 bench/sweep/throughput.py [--data FILE.gz] [--tmp DIR] [--repeat N]
Run from the repository root (needs `dist/cli.js` built); prefix with `nice -n 15` on a shared box.
"""

import argparse
import os
import socket
import statistics
import subprocess
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
CLI = os.path.join(REPO, 'dist', 'cli.js')
GRID = 'size=1,2;queue=power,log,risk-averse;latency=5,10'  # 12 points


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_for(pred, timeout=30.0):
    t0 = time.monotonic()
    while not pred():
        if time.monotonic() - t0 > timeout:
            raise RuntimeError('timed out')
        time.sleep(0.05)


def start_redis(tmp):
    port = free_port()
    p = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                          '--appendonly', 'no', '--dir', tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up():
        try:
            socket.create_connection(('127.0.0.1', port), 0.2).close()
            return True
        except OSError:
            return False
    wait_for(up)
    return p, f'redis://127.0.0.1:{port}'


def start_workers(url, n, tmp):
    procs = []
    for i in range(n):
        log = os.path.join(tmp, f'worker-{i}.log')
        fh = open(log, 'w')
        p = subprocess.Popen(['node', CLI, 'worker', '--redis', url, '--concurrency', '1', '--name', f'w{i}'],
                             cwd=REPO, stdout=fh, stderr=fh)
        procs.append((p, log, fh))
    for _, log, _ in procs:
        wait_for(lambda: 'ready on' in open(log).read())
    return procs


def stop_workers(procs):
    for p, _, fh in procs:
        p.terminate()
        p.wait(timeout=30)
        fh.close()


def sweep(src, *extra):
    t0 = time.perf_counter()
    out = subprocess.run(['node', CLI, 'sweep', src, '--grid', GRID, '--json', *extra], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default=os.path.join(os.environ.get('FLASHMM_DATA_DIR', '/work/shared/data'),
                                                   'binance', 'usdm_btcusdt_20240808.gz'))
    ap.add_argument('--tmp', default=os.path.join(tempfile.gettempdir(), 'flashmm-sweep-bench'))
    ap.add_argument('--repeat', type=int, default=5)
    a = ap.parse_args()
    os.makedirs(a.tmp, exist_ok=True)
    cache = os.path.join(a.tmp, os.path.basename(a.data) + '.fmcache')
    subprocess.run(['node', CLI, 'convert', a.data, '--out', cache], cwd=REPO, check=True, capture_output=True)
    points = 1
    for axis in GRID.split(';'):
        points *= len(axis.split('=')[1].split(','))
    redis, url = start_redis(a.tmp)
    results = {}
    try:
        for name, src in (('gzip', a.data), ('cache', cache)):
            times = {k: [] for k in ('local 1 thread', 'local 2 threads', 'queue 1 worker', 'queue 2 workers')}
            _, ref = sweep(src, '--workers', '1')
            for _ in range(a.repeat):
                for k, threads in (('local 1 thread', '1'), ('local 2 threads', '2')):
                    dt, out = sweep(src, '--workers', threads)
                    assert out == ref, f'{k}: output differs'
                    times[k].append(dt)
                for k, n in (('queue 1 worker', 1), ('queue 2 workers', 2)):
                    procs = start_workers(url, n, a.tmp)  # started before the clock: hosts wait for work
                    try:
                        dt, out = sweep(src, '--redis', url)
                    finally:
                        stop_workers(procs)
                    assert out == ref, f'{k}: output differs from the local sweep'
                    times[k].append(dt)
            results[name] = times
    finally:
        redis.terminate()
        redis.wait(timeout=30)
    print(f'grid {GRID!r}: {points} points; medians of {a.repeat} interleaved runs; '
          f'load average {os.getloadavg()[0]:.1f} (1 min) at the end; wall time of the whole `flashmm sweep` command')
    print(f'{"":18} {"gzip s":>8} {"points/s":>9} {"cache s":>8} {"points/s":>9}')
    for k in results['gzip']:
        g = statistics.median(results['gzip'][k])
        c = statistics.median(results['cache'][k])
        print(f'{k:18} {g:8.2f} {points / g:9.1f} {c:8.2f} {points / c:9.1f}')


if __name__ == '__main__':
    main()

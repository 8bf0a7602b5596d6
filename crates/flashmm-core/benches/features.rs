//! Feature-engine cost per event on a real recording (USD-M BTCUSDT: 21 313 trades and
//! 6 546 book updates the engine sees; book tickers are not fed to it).
//! Data: `$FLASHMM_DATA_DIR/binance` (default `../shared/data/binance`).
//!
//! * `features/update`: mean time of one engine call (`on_diff`, `on_trade`, or `on_book`
//!   for the snapshot) per event, all 64 features; the book is updated outside the timed
//!   region. Each call is timed with `Instant::now()` around it, so the figure includes one
//!   clock read (`features/timer_overhead` measures that alone).
//! * `features/on_diff`, `features/on_trade`: the same split by event kind.
//! * `features/replay_book_only` vs `features/replay_book_and_features`: whole-recording
//!   throughput without the timer; the difference per event is the engine's cost.

use std::hint::black_box;

use std::time::{Duration, Instant};

mod common;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use flashmm_core::book::{ApplyOutcome, SequenceRule};
use flashmm_core::features::FeatureEngine;
use flashmm_core::replay::{BookReplay, Event, EventBatch, EventKind};

const FILE: &str = "usdm_btcusdt_20240808.gz";

/// Snapshots, depth diffs and trades: what the engine consumes.
fn load_events() -> (EventBatch, SequenceRule) {
    common::load_events(FILE, |e| e.kind != EventKind::BookTicker)
}

/// Feeds one replayed event to the engine; false if it does not concern the engine.
#[inline(always)]
fn feed(engine: &mut FeatureEngine, replay: &BookReplay, e: &Event<'_>, outcome: Option<ApplyOutcome>) -> bool {
    engine.on_event(&replay.book, e, outcome.as_ref())
}

/// Times engine calls on events of the chosen kinds, replaying the recording as often as
/// needed for `iters` timed calls.
fn timed_calls(events: &EventBatch, rule: SequenceRule, iters: u64, kinds: &[EventKind]) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let mut replay = BookReplay::new(rule);
        let mut engine = FeatureEngine::new();
        for e in events.iter() {
            let outcome = replay.apply(&e);
            if kinds.contains(&e.kind) {
                let t0 = Instant::now();
                let fed = feed(&mut engine, &replay, &e, outcome);
                total += t0.elapsed();
                if fed {
                    done += 1;
                    if done == iters {
                        break;
                    }
                }
            } else {
                feed(&mut engine, &replay, &e, outcome);
            }
        }
        black_box(engine.features());
    }
    total
}

fn per_event(c: &mut Criterion) {
    let (events, rule) = load_events();
    let mut g = c.benchmark_group("features");
    g.throughput(Throughput::Elements(1));
    let all = [EventKind::Snapshot, EventKind::DepthDiff, EventKind::Trade];
    g.bench_function("update", |b| b.iter_custom(|iters| timed_calls(&events, rule, iters, &all)));
    g.bench_function("on_diff", |b| b.iter_custom(|iters| timed_calls(&events, rule, iters, &[EventKind::DepthDiff])));
    g.bench_function("on_trade", |b| b.iter_custom(|iters| timed_calls(&events, rule, iters, &[EventKind::Trade])));
    g.bench_function("timer_overhead", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let t0 = Instant::now();
                black_box(());
                total += t0.elapsed();
            }
            total
        })
    });
    g.finish();
}

fn whole_replay(c: &mut Criterion) {
    let (events, rule) = load_events();
    let mut g = c.benchmark_group("features");
    g.sample_size(20);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("replay_book_only", |b| {
        b.iter_batched(
            || BookReplay::new(rule),
            |mut r| {
                r.apply_batch(black_box(&events));
                r
            },
            BatchSize::LargeInput,
        )
    });
    g.bench_function("replay_book_and_features", |b| {
        b.iter_batched(
            || (BookReplay::new(rule), FeatureEngine::new()),
            |(mut r, mut engine)| {
                for e in black_box(&events).iter() {
                    let outcome = r.apply(&e);
                    feed(&mut engine, &r, &e, outcome);
                }
                (r, engine)
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, per_event, whole_replay);
criterion_main!(benches);

//! The engine's hot path does not allocate: a counting global allocator watches every
//! engine call on a whole recording (after the first depth diff, which sizes the band mirror).
//! Its own test binary, because the allocator is global.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use flashmm_core::features::FeatureEngine;
use flashmm_core::replay::binance::{BinanceReader, sequence_rule};
use flashmm_core::replay::{BookReplay, EventBatch, EventKind};

struct Counting;

static WATCHING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if WATCHING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if WATCHING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn engine_calls_never_allocate_in_steady_state() {
    for name in ["usdm_btcusdt_20240808.gz", "spot_btcusdt_20240808.gz"] {
        let mut reader = BinanceReader::open(&common::data_file(name), None, None).expect("open");
        let mut replay = BookReplay::new(sequence_rule(reader.market()));
        let mut engine = FeatureEngine::new();
        let mut batch = EventBatch::default();
        let (mut diffs, mut watched) = (0u64, 0u64);
        ALLOCATIONS.store(0, Ordering::Relaxed);
        while reader.next_batch(&mut batch, 4096).expect("clean recording") > 0 {
            for e in batch.iter() {
                let outcome = replay.apply(&e);
                let watch = diffs > 0;
                WATCHING.store(watch, Ordering::Relaxed);
                if engine.on_event(&replay.book, &e, outcome.as_ref()) && e.kind == EventKind::DepthDiff {
                    diffs += 1;
                }
                if watch {
                    engine.advance_to(engine.ts() + 1);
                    watched += 1;
                }
                WATCHING.store(false, Ordering::Relaxed);
            }
        }
        assert!(watched > 10_000, "{name}: {watched}");
        assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 0, "{name}: engine calls allocated");
    }
    // The counter itself works.
    WATCHING.store(true, Ordering::Relaxed);
    let v = std::hint::black_box(vec![0u8; 64]);
    WATCHING.store(false, Ordering::Relaxed);
    drop(v);
    assert_eq!(ALLOCATIONS.load(Ordering::Relaxed), 1);
}

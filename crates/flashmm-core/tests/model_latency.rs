//! Allocation counts and a latency profile of batch-1 prediction (printed, not asserted:
//! budgets are benchmarks, not timed tests). Run with `--nocapture` to see the numbers.

mod model_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use flashmm_core::model::{Model, Predictor};
use model_support::{Spec, window};

/// Counts allocations made by this thread's code under test (the harness's other
/// threads are idle while it runs; one test in this binary keeps it that way).
struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

#[test]
fn push_is_allocation_free_and_predict_latency_is_profiled() {
    let spec = Spec::new(16, 3);
    let m = Arc::new(Model::from_bytes(&spec.bytes()).expect("load"));
    let mut p = Predictor::new(Arc::clone(&m));
    let vs = window(64, 3);
    vs[..16].iter().for_each(|v| p.push(v));
    for _ in 0..200 {
        p.predict().unwrap(); // warm caches and tract's lazy statics
    }

    let a0 = allocs();
    for v in vs.iter().cycle().take(10_000) {
        p.push(v);
    }
    assert_eq!(allocs() - a0, 0, "push allocated");

    let n = 20_000;
    let mut lat = Vec::with_capacity(n);
    let a0 = allocs();
    for (i, v) in vs.iter().cycle().take(n).enumerate() {
        p.push(v);
        let t = Instant::now();
        let pred = p.predict().unwrap();
        lat.push(t.elapsed().as_nanos() as u64);
        std::hint::black_box((i, pred));
    }
    let per_predict = (allocs() - a0) as f64 / n as f64;
    lat.sort_unstable();
    let q = |f: f64| lat[((n as f64 * f) as usize).min(n - 1)] as f64 / 1000.0;
    eprintln!(
        "batch-1 predict, seq 16 → 3×3 linear model: p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs; {per_predict:.1} allocations per predict",
        q(0.5),
        q(0.99),
        q(0.999),
        q(1.0)
    );
    // The evaluator serves this graph: every buffer was allocated at load.
    assert_eq!(m.evaluator(), &flashmm_core::model::Evaluator::Native);
    assert_eq!(per_predict, 0.0, "{per_predict} allocations per predict");
    // tract's plan: bounded, not zero (its per-run state and each node's output).
    let mut s = m.tract_session().unwrap();
    let a0 = allocs();
    for _ in 0..1000 {
        std::hint::black_box(s.predict_window(&vs[..16]).unwrap());
    }
    let per_tract = (allocs() - a0) as f64 / 1000.0;
    eprintln!("tract's plan: {per_tract:.1} allocations per predict");
    assert!(per_tract < 64.0, "{per_tract} allocations per predict");

    // Batch: one symbolic-batch run vs 64 batch-1 runs.
    let ws: Vec<Vec<[f32; 64]>> = (0..64).map(|s| window(16, s)).collect();
    let refs: Vec<&[[f32; 64]]> = ws.iter().map(|w| w.as_slice()).collect();
    let t = Instant::now();
    for _ in 0..50 {
        std::hint::black_box(m.predict_batch(&refs).unwrap());
    }
    let batch_us = t.elapsed().as_secs_f64() * 1e6 / 50.0;
    let t = Instant::now();
    for _ in 0..50 {
        for w in &refs {
            std::hint::black_box(m.predict_window(w).unwrap());
        }
    }
    let one_by_one_us = t.elapsed().as_secs_f64() * 1e6 / 50.0;
    eprintln!("64 windows: batch plan {batch_us:.0} µs, one by one {one_by_one_us:.0} µs");
}

/// Allocations and latency per batch-1 prediction of model files (ignored: needs files).
/// `FLASHMM_BENCH_MODELS=models/default.onnx,models/lstm.onnx cargo test --release -p
/// flashmm-core --test model_latency -- --ignored --nocapture model_files`
#[test]
#[ignore]
fn model_files_profile() {
    let Ok(list) = std::env::var("FLASHMM_BENCH_MODELS") else { return };
    let n: usize = std::env::var("FLASHMM_PROFILE_CALLS").ok().and_then(|s| s.parse().ok()).unwrap_or(5_000);
    for file in list.split(',').filter(|s| !s.is_empty()) {
        let m = Arc::new(Model::load(file).expect("load"));
        let mut p = Predictor::new(Arc::clone(&m));
        let vs = window(64, 5);
        vs[..m.seq()].iter().for_each(|v| p.push(v));
        for _ in 0..50 {
            p.predict().unwrap();
        }
        let mut lat = Vec::with_capacity(n);
        let a0 = allocs();
        for v in vs.iter().cycle().take(n) {
            p.push(v);
            let t = Instant::now();
            std::hint::black_box(p.predict().unwrap());
            lat.push(t.elapsed().as_nanos() as u64);
        }
        let per = (allocs() - a0) as f64 / n as f64;
        lat.sort_unstable();
        let q = |f: f64| lat[((n as f64 * f) as usize).min(n - 1)] as f64 / 1000.0;
        eprintln!("{file}: p50 {:.1} µs, p99 {:.1} µs; {per:.1} allocations per predict", q(0.5), q(0.99));
    }
}

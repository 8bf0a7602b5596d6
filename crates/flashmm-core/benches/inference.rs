//! Batch-1 inference in the core (no N-API): `Predictor::predict` on a full window (the
//! evaluator when it serves the model), and tract's plan on the same window, per model file. Models: `FLASHMM_BENCH_MODELS` (comma-separated ONNX paths), else every
//! `models/*.onnx` of the repository. The N-API figures against onnxruntime-node are
//! `bench/inference.bench.ts`; this isolates the core's share.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use flashmm_core::features::N_FEATURES;
use flashmm_core::model::{Model, Predictor};

fn model_files() -> Vec<PathBuf> {
    if let Ok(list) = std::env::var("FLASHMM_BENCH_MODELS") {
        return list.split(',').filter(|s| !s.is_empty()).map(PathBuf::from).collect();
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "onnx")).collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Raw-feature-like rows, deterministic (the same formula as bench/inference.bench.ts).
fn row(r: usize) -> [f32; N_FEATURES] {
    std::array::from_fn(|i| (((r * N_FEATURES + i) as f64 * 12.9898).sin() * 3.0) as f32)
}

fn inference(c: &mut Criterion) {
    let mut g = c.benchmark_group("inference");
    for file in model_files() {
        let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let model = Arc::new(Model::load(&file).expect("model loads"));
        let mut p = Predictor::new(Arc::clone(&model));
        (0..model.seq()).for_each(|r| p.push(&row(r)));
        g.bench_function(format!("predict/{name}"), |b| b.iter(|| black_box(p.predict().expect("predict"))));
        let w: Vec<[f32; N_FEATURES]> = (0..model.seq()).map(row).collect();
        // The same window on tract's plan (what serves when the evaluator cannot).
        let mut tract = model.tract_session().expect("tract session");
        g.bench_function(format!("tract/{name}"), |b| b.iter(|| black_box(tract.predict_window(&w).expect("predict"))));
        g.bench_function(format!("fresh_state/{name}"), |b| {
            b.iter(|| black_box(model.predict_window(&w).expect("predict")))
        });
    }
    g.finish();
}

criterion_group!(benches, inference);
criterion_main!(benches);

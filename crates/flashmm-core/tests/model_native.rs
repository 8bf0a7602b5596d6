//! The batch-1 evaluator (`model/native`): known answers on hand-built graphs covering its
//! operators, the shipped models and every architecture trained tiny agreeing with tract
//! on recording windows (probabilities within 1e-5), and tract serving a graph outside the
//! evaluator's set.

mod common;
mod model_support;

use std::path::PathBuf;
use std::sync::OnceLock;

use flashmm_core::features::{Dataset, DatasetConfig, N_FEATURES, dataset_from_binance_file};
use flashmm_core::model::{Evaluator, Model, Prediction};
use flashmm_core::train::{ArchKind, TrainConfig, train_model};
use model_support::{
    Spec, float_attr, graph_bytes, int_attr, ints_attr, node, node_with, softmax_conf, tensor_f32, tensor_i64, window,
};

/// Largest |Δ probability| between two predictions.
fn prob_diff(a: &Prediction, b: &Prediction) -> f32 {
    a.probs().iter().flatten().zip(b.probs().iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn assert_native(m: &Model, what: &str) {
    assert_eq!(m.evaluator(), &Evaluator::Native, "{what}: {:?}", m.evaluator());
}

/// The model's prediction by the evaluator and by tract, on one window.
fn both(m: &Model, w: &[[f32; N_FEATURES]]) -> (Prediction, Prediction) {
    (m.session().unwrap().predict_window(w).unwrap(), m.tract_session().unwrap().predict_window(w).unwrap())
}

/// Checks the evaluator's probabilities against `want` (logits by hand) on window salts
/// 0..17, and against tract.
fn check_known(bytes: &[u8], seq: usize, what: &str, tol: f64, want: impl Fn(&[[f32; N_FEATURES]]) -> Vec<f64>) {
    let m = Model::from_bytes(bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_native(&m, what);
    for salt in 0..17 {
        let w = window(seq, salt);
        let (ours, tract) = both(&m, &w);
        let l: Vec<f32> = want(&w).iter().map(|&v| v as f32).collect();
        let (p, _) = softmax_conf(&l);
        for (c, (&got, &exp)) in ours.probs()[0].iter().zip(&p).enumerate() {
            assert!((f64::from(got) - exp).abs() <= tol, "{what} salt {salt} class {c}: {got} vs {exp} by hand");
        }
        assert!(prob_diff(&ours, &tract) <= 1e-6, "{what} salt {salt}: {ours:?} vs tract {tract:?}");
    }
}

#[test]
fn the_contract_spec_model_runs_native_with_its_known_logits() {
    for (seq, horizons) in [(1, 1), (4, 3), (16, 3)] {
        let spec = Spec::new(seq, horizons);
        let m = Model::from_bytes(&spec.bytes()).unwrap();
        assert_native(&m, "spec");
        let w = window(seq, 2);
        let p = m.session().unwrap().predict_window(&w).unwrap();
        let l = spec.expected_logits(&w);
        for h in 0..horizons {
            let (want, conf) = softmax_conf(&l[h * 3..h * 3 + 3]);
            for c in 0..3 {
                assert!((f64::from(p.probs()[h][c]) - want[c]).abs() <= 1e-6, "{:?} vs {want:?}", p.probs()[h]);
            }
            assert!((f64::from(p.confidence()[h]) - conf).abs() <= 1e-6);
        }
    }
}

/// Slice, Transpose, ReduceSum, Reshape, Max, Min, Sub (row broadcast), Relu, Mul and Div
/// by scalars, Add of two activations, LayerNormalization, Softmax, Log.
#[test]
fn elementwise_and_shape_operators_give_their_known_answers() {
    let (half, gamma, beta): ([f32; 3], [f32; 3], [f32; 3]) = ([0.5, 0.25, -0.5], [1.0, 2.0, 0.5], [0.0, 0.25, -1.0]);
    let inits = vec![
        tensor_i64("s0", &[0]),
        tensor_i64("e3", &[3]),
        tensor_i64("ax2", &[2]),
        tensor_i64("shape113", &[1, 1, 3]),
        tensor_f32("lo", &[1], vec![-1.0]),
        tensor_f32("hi", &[1], vec![1.5]),
        tensor_f32("half", &[3], half.to_vec()),
        tensor_f32("two", &[], vec![2.0]),
        tensor_f32("four", &[], vec![4.0]),
        tensor_f32("gamma", &[3], gamma.to_vec()),
        tensor_f32("beta", &[3], beta.to_vec()),
    ];
    let nodes = vec![
        node("n1", "Slice", &["features", "s0", "e3", "ax2"], "a"),
        node_with("n2", "Transpose", &["a"], "t", vec![ints_attr("perm", &[0, 2, 1])]),
        node_with("n3", "ReduceSum", &["t", "ax2"], "s", vec![int_attr("keepdims", 1)]),
        node("n4", "Reshape", &["s", "shape113"], "r"),
        node("n5", "Max", &["r", "lo"], "m1"),
        node("n6", "Min", &["m1", "hi"], "m2"),
        node("n7", "Sub", &["m2", "half"], "d"),
        node("n8", "Relu", &["d"], "rl"),
        node("n9", "Mul", &["rl", "two"], "mu"),
        node("n10", "Div", &["mu", "four"], "dv"),
        node("n11", "Add", &["dv", "d"], "ad"),
        node_with("n12", "LayerNormalization", &["ad", "gamma", "beta"], "ln", vec![float_attr("epsilon", 1e-5)]),
        node_with("n13", "Softmax", &["ln"], "sm", vec![int_attr("axis", -1)]),
        node("n14", "Log", &["sm"], "logits"),
    ];
    let want = |w: &[[f32; N_FEATURES]]| -> Vec<f64> {
        let ad: Vec<f64> = (0..3)
            .map(|c| {
                let s = f64::from(w[0][c]) + f64::from(w[1][c]);
                let d = s.clamp(-1.0, 1.5) - f64::from(half[c]);
                d.max(0.0) * 2.0 / 4.0 + d
            })
            .collect();
        let mean = ad.iter().sum::<f64>() / 3.0;
        let var = ad.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / 3.0;
        (0..3).map(|c| (ad[c] - mean) / (var + 1e-5).sqrt() * f64::from(gamma[c]) + f64::from(beta[c])).collect()
    };
    check_known(&graph_bytes(nodes, inits, 2, 1, 17), 2, "elementwise", 1e-6, want);
}

/// MatMul of two activations (attention), Softmax, ReduceMean, a two-axis Slice, Flatten,
/// Concat, Gemm (transposed B, alpha, beta), Unsqueeze.
#[test]
fn attention_like_products_give_their_known_answers() {
    let bmat: Vec<f32> = (0..18).map(|i| ((i * 5 % 7) as f32 - 3.0) / 4.0).collect(); // [3, 6]
    let cvec = [0.25f32, -0.5, 0.125];
    let inits = vec![
        tensor_i64("s0", &[0]),
        tensor_i64("s4", &[4]),
        tensor_i64("e4", &[4]),
        tensor_i64("e8", &[8]),
        tensor_i64("ax2", &[2]),
        tensor_i64("xs", &[0, 10]),
        tensor_i64("xe", &[1, 12]),
        tensor_i64("xa", &[1, 2]),
        tensor_i64("ax1", &[1]),
        tensor_f32("B", &[3, 6], bmat.clone()),
        tensor_f32("C", &[3], cvec.to_vec()),
    ];
    let nodes = vec![
        node("n1", "Slice", &["features", "s0", "e4", "ax2"], "q"),
        node("n2", "Slice", &["features", "s4", "e8", "ax2"], "k"),
        node_with("n3", "Transpose", &["k"], "kt", vec![ints_attr("perm", &[0, 2, 1])]),
        node("n4", "MatMul", &["q", "kt"], "sc"),
        node_with("n5", "Softmax", &["sc"], "att", vec![int_attr("axis", -1)]),
        node("n6", "MatMul", &["att", "q"], "y"),
        node_with("n7", "ReduceMean", &["y"], "ym", vec![ints_attr("axes", &[1]), int_attr("keepdims", 0)]),
        node("n8", "Slice", &["features", "xs", "xe", "xa"], "x2"),
        node_with("n9", "Flatten", &["x2"], "x2f", vec![int_attr("axis", 1)]),
        node_with("n10", "Concat", &["ym", "x2f"], "cat", vec![int_attr("axis", 1)]),
        node_with(
            "n11",
            "Gemm",
            &["cat", "B", "C"],
            "g",
            vec![int_attr("transB", 1), float_attr("alpha", 0.5), float_attr("beta", 2.0)],
        ),
        node("n12", "Unsqueeze", &["g", "ax1"], "logits"),
    ];
    let want = |w: &[[f32; N_FEATURES]]| -> Vec<f64> {
        let x = |t: usize, i: usize| f64::from(w[t][i]);
        let mut ym = [0f64; 4];
        for t in 0..2 {
            let sc: Vec<f64> = (0..2).map(|u| (0..4).map(|i| x(t, i) * x(u, 4 + i)).sum()).collect();
            let m = sc[0].max(sc[1]);
            let e: Vec<f64> = sc.iter().map(|s| (s - m).exp()).collect();
            let att: Vec<f64> = e.iter().map(|v| v / (e[0] + e[1])).collect();
            (0..4).for_each(|i| ym[i] += (att[0] * x(0, i) + att[1] * x(1, i)) / 2.0);
        }
        let cat = [ym[0], ym[1], ym[2], ym[3], x(0, 10), x(0, 11)];
        (0..3)
            .map(|j| 0.5 * (0..6).map(|i| cat[i] * f64::from(bmat[j * 6 + i])).sum::<f64>() + 2.0 * f64::from(cvec[j]))
            .collect()
    };
    check_known(&graph_bytes(nodes, inits, 2, 1, 17), 2, "attention", 1e-6, want);
}

/// A forward LSTM (hidden 2, three steps, biases, no initial state) by the ONNX equations,
/// its `Y` and `Y_h` both read, then a dense head with a fused bias.
#[test]
fn lstm_gives_its_known_answer() {
    let h = 2;
    let w = |g: usize, i: usize| if i < 2 { ((g * 3 + i * 5) % 7) as f32 / 4.0 - 0.75 } else { 0.0 };
    let r = |g: usize, k: usize| ((g * 5 + k * 3) % 5) as f32 / 4.0 - 0.5;
    let b = |j: usize| (j % 5) as f32 / 8.0 - 0.25;
    let head: Vec<f32> = vec![1.0, -0.5, 0.25, 0.5, 0.75, -1.0]; // [2, 3]
    let hb = [0.125f32, 0.0, -0.25];
    let inits = vec![
        tensor_f32("W", &[1, 8, 64], (0..8).flat_map(|g| (0..64).map(move |i| w(g, i))).collect()),
        tensor_f32("R", &[1, 8, 2], (0..8).flat_map(|g| (0..2).map(move |k| r(g, k))).collect()),
        tensor_f32("B", &[1, 16], (0..16).map(b).collect()),
        tensor_i64("shape12", &[1, 2]),
        tensor_i64("shape113", &[1, 1, 3]),
        tensor_f32("head", &[2, 3], head.clone()),
        tensor_f32("hb", &[3], hb.to_vec()),
    ];
    let nodes = vec![
        node_with("n1", "Transpose", &["features"], "xt", vec![ints_attr("perm", &[1, 0, 2])]),
        tract_onnx::pb::NodeProto {
            output: vec!["Y".into(), "Yh".into()],
            ..node_with("n2", "LSTM", &["xt", "W", "R", "B"], "", vec![int_attr("hidden_size", 2)])
        },
        node_with("n3", "ReduceMean", &["Y"], "ym", vec![ints_attr("axes", &[0]), int_attr("keepdims", 0)]),
        node("n4", "Reshape", &["ym", "shape12"], "ym2"),
        node("n5", "Reshape", &["Yh", "shape12"], "yh2"),
        node("n6", "Add", &["ym2", "yh2"], "sum"),
        node("n7", "MatMul", &["sum", "head"], "mm"),
        node("n8", "Add", &["mm", "hb"], "lin"),
        node("n9", "Reshape", &["lin", "shape113"], "logits"),
    ];
    let sigmoid = |v: f64| 1.0 / (1.0 + (-v).exp());
    let want = |win: &[[f32; N_FEATURES]]| -> Vec<f64> {
        let (mut hs, mut cs, mut ysum) = (vec![0f64; h], vec![0f64; h], vec![0f64; h]);
        for row in win {
            let gate = |g: usize| -> f64 {
                let x: f64 = (0..2).map(|i| f64::from(w(g, i)) * f64::from(row[i])).sum();
                let rh: f64 = (0..h).map(|k| f64::from(r(g, k)) * hs[k]).sum();
                x + rh + f64::from(b(g)) + f64::from(b(8 + g))
            };
            let g: Vec<f64> = (0..4 * h).map(gate).collect();
            for j in 0..h {
                let (i, o, f, c) = (sigmoid(g[j]), sigmoid(g[h + j]), sigmoid(g[2 * h + j]), g[3 * h + j].tanh());
                cs[j] = f * cs[j] + i * c;
                hs[j] = o * cs[j].tanh();
            }
            (0..h).for_each(|j| ysum[j] += hs[j] / win.len() as f64);
        }
        let s: Vec<f64> = (0..h).map(|j| ysum[j] + hs[j]).collect();
        (0..3).map(|c| (0..h).map(|k| s[k] * f64::from(head[k * 3 + c])).sum::<f64>() + f64::from(hb[c])).collect()
    };
    // tract-linalg's sigmoid and tanh are approximations (both engines use them): 1e-5.
    check_known(&graph_bytes(nodes, inits, 3, 1, 17), 3, "lstm", 1e-5, want);
}

#[test]
fn a_graph_outside_the_set_is_served_by_tract() {
    let inits = vec![
        tensor_f32("W", &[64, 3], (0..192).map(|i| ((i % 9) as f32 - 4.0) / 16.0).collect()),
        tensor_i64("shape113", &[1, 1, 3]),
    ];
    let nodes = vec![
        node_with("n1", "ReduceMean", &["features"], "mean", vec![ints_attr("axes", &[1]), int_attr("keepdims", 0)]),
        node("n2", "Erf", &["mean"], "e"),
        node("n3", "MatMul", &["e", "W"], "mm"),
        node("n4", "Reshape", &["mm", "shape113"], "logits"),
    ];
    let m = Model::from_bytes(&graph_bytes(nodes, inits, 2, 1, 17)).unwrap();
    match m.evaluator() {
        Evaluator::Tract(why) => assert!(why.contains("Erf"), "{why}"),
        Evaluator::Native => panic!("Erf is not in the evaluator's set"),
    }
    assert!(m.describe_native().is_none());
    let w = window(2, 3);
    let (served, tract) = both(&m, &w);
    assert_eq!(served, tract);
}

fn datasets() -> &'static [Dataset] {
    static D: OnceLock<Vec<Dataset>> = OnceLock::new();
    D.get_or_init(|| {
        common::BINANCE_FILES
            .iter()
            .map(|f| dataset_from_binance_file(&common::data_file(f), DatasetConfig::default()).expect("dataset"))
            .collect()
    })
}

/// Largest |Δ p| between the evaluator and tract on every `stride`-th window of each
/// recording; the windows compared.
fn recording_diff(m: &Model, stride: usize) -> (f32, usize) {
    let (mut nat, mut tr) = (m.session().unwrap(), m.tract_session().unwrap());
    let (mut worst, mut n) = (0f32, 0);
    for d in datasets() {
        for w in d.features.windows(m.seq()).step_by(stride) {
            worst = worst.max(prob_diff(&nat.predict_window(w).unwrap(), &tr.predict_window(w).unwrap()));
            n += 1;
        }
    }
    (worst, n)
}

#[test]
fn shipped_models_run_native_and_agree_with_tract_on_the_recordings() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("models/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no models/*.onnx");
    for f in files {
        let m = Model::load(&f).unwrap();
        assert_native(&m, &f.display().to_string());
        let (worst, n) = recording_diff(&m, 5);
        eprintln!("{}: evaluator vs tract max |Δ p| {worst:e} over {n} recording windows", f.display());
        assert!(worst <= 1e-5, "{}: {worst}", f.display());
    }
}

#[test]
fn every_architecture_trained_tiny_runs_native_and_agrees_with_tract() {
    for kind in ArchKind::ALL {
        let cfg = TrainConfig { max_epochs: 1, ..TrainConfig::tiny(kind) };
        let m = train_model(&datasets()[..1], &cfg, |_| {}).expect("trains");
        let model = Model::from_bytes(&m.onnx).expect("loads");
        assert_native(&model, kind.name());
        let (worst, n) = recording_diff(&model, 25);
        eprintln!("tiny {}: evaluator vs tract max |Δ p| {worst:e} over {n} recording windows", kind.name());
        assert!(worst <= 1e-5, "{}: {worst}", kind.name());
    }
}

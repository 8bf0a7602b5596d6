//! The walk-forward and leave-one-recording-out splits on the six recordings: no training
//! row's label window reaches into validation or test (nor a validation label into test),
//! the parts are in time order, and a held-out recording is test only.

mod common;

use std::sync::OnceLock;

use flashmm_core::features::{Dataset, DatasetConfig, HORIZONS_NS, dataset_from_binance_file};
use flashmm_core::train::windows::{part_spans, split_samples};
use flashmm_core::train::{PartSpan, Sample, SplitConfig, Splits, walk_forward_parts};

const STEP: i64 = 100_000_000;
const RECORDINGS: [&str; 6] = [
    "spot_btcusdt_20240808.gz",
    "spot_ethusdt_20240808.gz",
    "usdm_btcusdt_20240808.gz",
    "usdm_ethusdt_20240808.gz",
    "cm_btcusd_perp_20240808.gz",
    "cm_ethusd_perp_20240808.gz",
];

fn datasets() -> &'static [Dataset] {
    static D: OnceLock<Vec<Dataset>> = OnceLock::new();
    D.get_or_init(|| {
        RECORDINGS
            .iter()
            .map(|n| dataset_from_binance_file(&common::data_file(n), DatasetConfig::default()).expect("dataset"))
            .collect()
    })
}

/// `(recording, earliest row time)` of every later-part window, and the latest label end of
/// every earlier-part sample: a leak is an earlier label ending at or after a later row.
fn leaks(ds: &[Dataset], earlier: &[Sample], later: &[Sample], seq: usize) -> usize {
    let longest = *HORIZONS_NS.iter().max().unwrap();
    (0..ds.len())
        .map(|r| {
            let first_later = later.iter().filter(|s| s.recording == r).map(|s| ds[r].ts[s.end + 1 - seq]).min();
            let Some(first_later) = first_later else { return 0 };
            earlier.iter().filter(|s| s.recording == r && ds[r].ts[s.end] + longest >= first_later).count()
        })
        .sum()
}

fn check(s: &Splits, seq: usize) {
    let ds = datasets();
    let later: Vec<Sample> = s.val.iter().chain(&s.test).copied().collect();
    assert_eq!(leaks(ds, &s.train, &later, seq), 0, "a training label reaches validation or test (seq {seq})");
    assert_eq!(leaks(ds, &s.val, &s.test, seq), 0, "a validation label reaches test (seq {seq})");
    // Time order within each recording: train < validation < test, window rows included.
    for (r, d) in ds.iter().enumerate() {
        let span = |v: &[Sample]| {
            let rows: Vec<i64> =
                v.iter().filter(|x| x.recording == r).flat_map(|x| [d.ts[x.end + 1 - seq], d.ts[x.end]]).collect();
            (rows.iter().min().copied(), rows.iter().max().copied())
        };
        let (tr, va, te) = (span(&s.train), span(&s.val), span(&s.test));
        if let ((_, Some(a)), (Some(b), _)) = (tr, va) {
            assert!(a < b, "recording {r}: train ends {a}, validation starts {b}");
        }
        if let ((_, Some(a)), (Some(b), _)) = (va, te) {
            assert!(a < b, "recording {r}: validation ends {a}, test starts {b}");
        }
    }
}

#[test]
fn walk_forward_labels_never_reach_later_parts() {
    let ds = datasets();
    for seq in [1, 8, 16] {
        let s = split_samples(ds, seq, STEP, &SplitConfig::default()).unwrap();
        assert!(
            s.train.len() > 12_000 && s.val.len() > 2_500 && s.test.len() > 2_500,
            "seq {seq}: {} {} {}",
            s.train.len(),
            s.val.len(),
            s.test.len()
        );
        for r in 0..ds.len() {
            assert!(
                [&s.train, &s.val, &s.test].iter().all(|p| p.iter().any(|x| x.recording == r)),
                "recording {r} missing a part"
            );
        }
        check(&s, seq);
    }
    // The check has teeth: without the embargo, the last training labels look into validation.
    let no_embargo = SplitConfig { embargo_ns: 0, ..SplitConfig::default() };
    let s = split_samples(ds, 1, STEP, &no_embargo).unwrap();
    assert!(leaks(ds, &s.train, &s.val, 1) >= ds.len(), "expected leaks without an embargo");
}

#[test]
fn leave_one_out_holds_a_whole_recording_out() {
    let ds = datasets();
    for held in 0..ds.len() {
        let cfg = SplitConfig { held_out: Some(held), ..SplitConfig::default() };
        let s = split_samples(ds, 8, STEP, &cfg).unwrap();
        assert!(s.test.iter().all(|x| x.recording == held));
        assert!(s.train.iter().chain(&s.val).all(|x| x.recording != held));
        // Every window of the held-out recording is tested.
        let all =
            split_samples(std::slice::from_ref(&ds[held]), 8, STEP, &SplitConfig { held_out: Some(0), ..cfg }).unwrap();
        assert_eq!(s.test.len(), all.test.len());
        // The others split train : validation as 70 : 15, with the embargo.
        let others: usize = s.train.len() + s.val.len() + s.dropped_boundary;
        assert!((s.train.len() as f64 / others as f64 - 0.70 / 0.85).abs() < 0.01, "{} of {others}", s.train.len());
        check(&s, 8);
    }
    let err = split_samples(ds, 1, STEP, &SplitConfig { held_out: Some(6), ..SplitConfig::default() }).unwrap_err();
    assert!(err.to_string().contains("held-out recording 6 of 6"), "{err}");
}

/// What a backtest of the test part replays (`walk_forward_parts`, one recording read alone) is
/// the split of training on all six: same first and last sample, same count, every part.
#[test]
fn one_recordings_parts_are_the_training_split() {
    let ds = datasets();
    let s = split_samples(ds, 1, STEP, &SplitConfig::default()).unwrap();
    let all = part_spans(ds, &s);
    for (r, name) in RECORDINGS.iter().enumerate() {
        let mine = walk_forward_parts(&common::data_file(name), 1).unwrap();
        assert_eq!(mine, all[r], "{name}");
        let test: Vec<i64> = s.test.iter().filter(|x| x.recording == r).map(|x| ds[r].ts[x.end]).collect();
        let want = PartSpan { first_ts: test[0], last_ts: *test.last().unwrap(), samples: test.len() };
        assert_eq!(mine.test, Some(want), "{name}");
        // In time order, the embargo between the parts.
        let (tr, va, te) = (mine.train.unwrap(), mine.val.unwrap(), want);
        assert!(tr.last_ts + SplitConfig::default().embargo_ns < va.first_ts && va.last_ts + 500_000_000 < te.first_ts);
    }
}

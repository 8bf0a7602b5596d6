//! The live forecast scorer on scripted mid paths: each horizon scored when it ends, by the
//! label rule, in bounded memory.

use flashmm_core::features::MidPath;
use flashmm_core::model::Prediction;
use flashmm_core::model::score::{ForecastScorer, PRUNE_AT, SCORE_WINDOW};

const MS: i64 = 1_000_000;
const H: [i64; 3] = [100 * MS, 200 * MS, 500 * MS];

/// A prediction whose decision is `class` at every horizon.
fn deciding(class: usize) -> Prediction {
    let mut logits = [0f32; 9];
    for h in 0..3 {
        logits[h * 3 + class] = 2.0;
    }
    Prediction::from_logits(&logits).expect("finite")
}

#[test]
fn scores_each_horizon_when_it_ends_and_skips_rows_without_a_label() {
    let mut s = ForecastScorer::new(&H);
    s.book(0, Some(200));
    s.row(0);
    s.forecast(0, 200, &deciding(2)); // up everywhere
    s.forecast(0, 200, &deciding(0)); // the same row again: ignored
    s.book(99 * MS, Some(200));
    assert_eq!(s.scores()[0].correct + s.scores()[0].wrong, 0, "100 ms not reached");
    s.book(100 * MS, Some(202)); // exactly t + 100 ms: in force then
    assert_eq!((s.scores()[0].correct, s.scores()[0].wrong), (1, 0));
    s.invalid(150 * MS);
    s.book(600 * MS, Some(204));
    for k in [1, 2] {
        assert_eq!((s.scores()[k].correct, s.scores()[k].wrong, s.scores()[k].unscored), (0, 0, 1), "horizon {k}");
    }
    // A row whose mid falls: up is wrong, down right.
    s.row(700 * MS);
    s.forecast(700 * MS, 204, &deciding(0));
    s.book(750 * MS, Some(203));
    assert_eq!(s.scores()[0].correct, 1, "t + 100 ms not reached");
    s.book(1_300 * MS, Some(205)); // after every horizon's end: read by none
    let tally: Vec<_> = s.scores().iter().map(|h| (h.forecasts, h.correct, h.wrong, h.accuracy())).collect();
    assert_eq!(tally, [(2, 2, 0, Some(1.0)), (2, 1, 0, Some(1.0)), (2, 1, 0, Some(1.0))]);
    assert_eq!(s.held().1, 0, "nothing pending");
}

/// Thousands of mid changes with a forecast on every 100 ms row: the path stays short,
/// and every outcome is the label an unpruned path gives.
#[test]
fn a_long_run_stays_bounded_and_agrees_with_the_whole_path() {
    let mut s = ForecastScorer::new(&H);
    let mut whole = MidPath::new();
    let (mut expected, mut rows) = ([(0u64, 0u64); 3], Vec::new());
    let mid = |i: i64| 200 + (i * 7919 % 13) - 6;
    for i in 0..20_000i64 {
        let ts = i * 10 * MS;
        if i % 997 == 500 {
            s.invalid(ts);
            whole.push_invalid(ts);
        } else {
            s.book(ts, Some(mid(i)));
            whole.push_mid(ts, mid(i));
        }
        if i % 10 == 0 {
            let class = (i as usize / 10) % 3;
            s.row(ts);
            s.forecast(ts, mid(i), &deciding(class));
            rows.push((ts, mid(i), class));
        }
        assert!(s.held().0 <= PRUNE_AT && s.held().1 <= 60, "bounded: {:?}", s.held());
    }
    let end = whole.end().expect("states");
    for &(t, m2, class) in &rows {
        for (k, &h) in H.iter().enumerate() {
            if t + h > end {
                continue;
            }
            if let Ok(d) = whole.label(t, m2, h) {
                if d.index() == class { expected[k].0 += 1 } else { expected[k].1 += 1 }
            }
        }
    }
    for (k, (h, want)) in s.scores().iter().zip(expected).enumerate() {
        assert_eq!((h.correct, h.wrong), want, "horizon {k}");
        assert!(h.unscored > 0, "the invalid states leave rows unscored");
        assert_eq!(h.recent(), SCORE_WINDOW);
    }
}

//! The live forecast scorer on scripted mid paths: each horizon scored when it ends, by the
//! label rule, in bounded memory.

use flashmm_core::features::{Direction, MidPath};
use flashmm_core::model::Prediction;
use flashmm_core::model::score::{ForecastScorer, MAX_LOG, PRUNE_AT, SCORE_WINDOW};

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

/// The log a host drains: each forecast made with every horizon, then each (forecast, horizon)
/// as it is scored, with the label and the horizon's rolling accuracy then.
#[test]
fn logs_forecasts_made_and_each_horizon_scored_in_order() {
    use Direction::{Down, Flat, Up};
    let mut s = ForecastScorer::new(&H);
    s.book(0, Some(200));
    s.row(0);
    s.forecast(0, 200, &deciding(2)); // up
    s.book(100 * MS, Some(202)); // t0 + 100: up, right
    s.row(100 * MS);
    s.forecast(100 * MS, 202, &deciding(0)); // down
    s.book(200 * MS, Some(202)); // t0 + 200: up, right; t1 + 100: flat, wrong
    s.book(300 * MS, Some(198)); // t1 + 200: down, right
    s.book(600 * MS, Some(198)); // t0 + 500 (198 in force): down, wrong; t1 + 500: down, right
    let log = s.drain();
    assert_eq!(log.dropped, 0);
    let made: Vec<_> = log
        .made
        .iter()
        .map(|m| (m.t, m.horizons().iter().map(|h| (h.horizon_ns, h.probs, h.confidence)).collect::<Vec<_>>()))
        .collect();
    let all = |p: flashmm_core::model::Prediction| {
        H.iter().enumerate().map(|(k, &h)| (h, p.probs()[k], p.confidence()[k])).collect::<Vec<_>>()
    };
    assert_eq!(made, [(0, all(deciding(2))), (100 * MS, all(deciding(0)))]);
    let scored: Vec<_> =
        log.scored.iter().map(|x| (x.t / MS, x.forecast.horizon_ns / MS, x.outcome, x.right, x.accuracy)).collect();
    assert_eq!(
        scored,
        [
            (0, 100, Up, true, 1.0),
            (0, 200, Up, true, 1.0),
            (100, 100, Flat, false, 0.5),
            (100, 200, Down, true, 1.0),
            (0, 500, Down, false, 0.0),
            (100, 500, Down, true, 0.5),
        ]
    );
    assert_eq!(log.scored[2].forecast.probs, deciding(0).probs()[0], "the forecast's own probabilities");
    let accuracies: Vec<_> = s.scores().iter().map(|h| h.accuracy()).collect();
    assert_eq!(accuracies, [Some(0.5), Some(1.0), Some(0.5)], "the last outcome's accuracy is the tally's");
    let again = s.drain();
    assert!(again.made.is_empty() && again.scored.is_empty(), "drained");
}

/// A host that never drains: each queue keeps the newest MAX_LOG records, the rest counted.
#[test]
fn an_undrained_log_keeps_the_newest_and_counts_the_dropped() {
    let mut s = ForecastScorer::new(&H);
    for i in 0..5_000i64 {
        s.book(i * 100 * MS, Some(200));
        s.row(i * 100 * MS);
        s.forecast(i * 100 * MS, 200, &deciding(1));
    }
    // Scored: 4999 at 100 ms, 4998 at 200 ms, 4995 at 500 ms = 14992; made 5000.
    let log = s.drain();
    assert_eq!((log.made.len(), log.scored.len()), (MAX_LOG, MAX_LOG));
    assert_eq!(log.dropped, (5_000 - 4_096) + (14_992 - 4_096));
    assert_eq!((log.made[0].t, log.made[MAX_LOG - 1].t), (904 * 100 * MS, 4_999 * 100 * MS));
    let last = log.scored[MAX_LOG - 1];
    assert_eq!(
        (last.t, last.forecast.horizon_ns, last.outcome, last.right, last.accuracy),
        (4_998 * 100 * MS, 100 * MS, Direction::Flat, true, 1.0)
    );
}

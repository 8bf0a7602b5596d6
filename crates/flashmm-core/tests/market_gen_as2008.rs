//! The Avellaneda & Stoikov (2008) study: our simulation against the paper's Tables 1–3.
//!
//! Tolerances: the paper's numbers are themselves Monte Carlo estimates from 1000 paths, so
//! a mean is compared with `4·√(SE_ours² + SE_paper²)`, `SE = std/√n`, and a standard
//! deviation with `4·√(SEs_ours² + SEs_paper²)`, `SEs = std/√(2(n−1))`; no extra
//! discretisation allowance is added (with [`AsTiming::MoveThenFill`] none is needed; see
//! `docs/as2008.md` for the other timing). The seed is fixed, so the test is deterministic.

use flashmm_core::market_gen::as2008::{
    AsParams, AsStrategy, AsTiming, PAPER_TABLES, PaperLine, StrategyStats, run_strategy, study,
    symmetric_expected_profit,
};

const PATHS: usize = 1000;
const SEED: u64 = 2008;

fn se_mean(std: f64) -> f64 {
    std / (PATHS as f64).sqrt()
}

fn se_std(std: f64) -> f64 {
    std / (2.0 * (PATHS - 1) as f64).sqrt()
}

fn close(what: &str, ours: f64, ours_se: f64, paper: f64, paper_se: f64) {
    let tol = 4.0 * (ours_se * ours_se + paper_se * paper_se).sqrt();
    let z = (ours - paper) / (tol / 4.0);
    println!("{what:<40} ours {ours:>8.3}  paper {paper:>8.3}  z {z:>5.2}");
    assert!((ours - paper).abs() <= tol, "{what}: ours {ours:.3} vs paper {paper:.3}, tolerance {tol:.3}");
}

fn compare(label: &str, ours: &StrategyStats, paper: &PaperLine) {
    close(&format!("{label} profit"), ours.profit.mean, ours.profit.se_mean(), paper.profit, se_mean(paper.std_profit));
    close(
        &format!("{label} std(profit)"),
        ours.profit.std,
        ours.profit.se_std(),
        paper.std_profit,
        se_std(paper.std_profit),
    );
    close(
        &format!("{label} final q"),
        ours.final_q.mean,
        ours.final_q.se_mean(),
        paper.final_q,
        se_mean(paper.std_final_q),
    );
    close(
        &format!("{label} std(final q)"),
        ours.final_q.std,
        ours.final_q.se_std(),
        paper.std_final_q,
        se_std(paper.std_final_q),
    );
}

#[test]
fn tables_1_and_2_agree_with_the_paper_within_monte_carlo_error() {
    let p = AsParams::PAPER;
    for t in &PAPER_TABLES[..2] {
        let row = study(&p, t.gamma, PATHS, SEED);
        // The paper's spread column is rounded (and Table 2's omits the small γσ²(T−t)/2
        // average of the time term: 1.329 vs our 1.349).
        assert!((row.inventory.spread - t.inventory.spread).abs() < 0.025, "{:?}", row.inventory);
        assert!((row.symmetric.spread - t.symmetric.spread).abs() < 0.025, "{:?}", row.symmetric);
        compare(&format!("T{} γ={} inventory", t.table, t.gamma), &row.inventory, &t.inventory);
        compare(&format!("T{} γ={} symmetric", t.table, t.gamma), &row.symmetric, &t.symmetric);
    }
}

#[test]
fn table_3_symmetric_row_agrees_at_the_spread_the_paper_lists() {
    let p = AsParams::PAPER;
    let t = &PAPER_TABLES[2];
    assert_eq!(t.gamma, 0.5);
    let sym = run_strategy(&p, AsStrategy::Symmetric { spread: t.symmetric.spread }, PATHS, SEED, 2);
    compare("T3 γ=0.5 symmetric @ 1.15", &sym, &t.symmetric);
    // The listed 1.15 is (2/γ)ln(1 + γ/k) alone; the inventory strategy's average spread with
    // the γσ²(T−t) term is 2.156, and its inventory row (33.92) is not reproducible (see
    // docs/as2008.md): our γ = 0.5 inventory results are checked against the model instead.
    assert!(((2.0 / 0.5) * (1.0f64 + 0.5 / 1.5).ln() - t.symmetric.spread).abs() < 0.005);
}

#[test]
fn symmetric_profit_matches_its_exact_expectation_for_every_gamma_and_timing() {
    for timing in [AsTiming::MoveThenFill, AsTiming::FillThenMove] {
        let p = AsParams::PAPER.with_timing(timing);
        for gamma in [0.1, 0.01, 0.5, 1.0] {
            let row = study(&p, gamma, PATHS, SEED);
            let exact = symmetric_expected_profit(&p, row.symmetric.spread);
            let s = row.symmetric.profit;
            assert!((s.mean - exact).abs() <= 4.0 * s.se_mean(), "{timing:?} γ={gamma}: {} vs exact {exact}", s.mean);
            // The symmetric strategy's inventory is a driftless walk: mean 0.
            let q = row.symmetric.final_q;
            assert!(q.mean.abs() <= 4.0 * q.se_mean(), "{timing:?} γ={gamma}: final q {}", q.mean);
        }
    }
}

#[test]
fn the_inventory_strategy_trades_profit_for_lower_variance() {
    // The paper's conclusion, at every γ (including γ = 1, which the paper does not tabulate):
    // a lower standard deviation of profit and of final inventory than the symmetric strategy
    // with the same average spread, at a lower or equal mean profit; both mean inventories ~0.
    let p = AsParams::PAPER;
    let mut last_std_q = f64::INFINITY;
    for gamma in [0.01, 0.1, 0.5, 1.0] {
        let row = study(&p, gamma, PATHS, SEED);
        let (inv, sym) = (row.inventory, row.symmetric);
        println!("γ={gamma}: inventory {inv:?}\n        symmetric {sym:?}");
        assert!(inv.profit.std < sym.profit.std, "γ={gamma}");
        assert!(inv.final_q.std < sym.final_q.std, "γ={gamma}");
        assert!(inv.profit.mean <= sym.profit.mean + 4.0 * sym.profit.se_mean(), "γ={gamma}");
        assert!(inv.final_q.mean.abs() <= 4.0 * inv.final_q.se_mean(), "γ={gamma}");
        // More risk aversion holds inventory tighter.
        assert!(inv.final_q.std < last_std_q, "γ={gamma}");
        last_std_q = inv.final_q.std;
    }
}

#[test]
fn the_study_is_deterministic_for_its_seed() {
    let p = AsParams::PAPER;
    assert_eq!(study(&p, 0.1, 50, 9), study(&p, 0.1, 50, 9));
    assert_ne!(study(&p, 0.1, 50, 9), study(&p, 0.1, 50, 10));
}

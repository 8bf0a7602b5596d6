//! Prints the Avellaneda & Stoikov (2008) study beside the paper's Tables 1–3.
//!
//! `cargo run -p flashmm-core --example as2008 --release [-- PATHS SEED]`
//! (defaults: 1000 paths, seed 2008; `docs/as2008.md` shows its output).

use flashmm_core::market_gen::as2008::{
    AsParams, AsStrategy, AsTiming, PAPER_TABLES, StrategyStats, run_strategy, study, symmetric_expected_profit,
};

fn ours(gamma: f64, name: &str, s: &StrategyStats) {
    println!(
        "| {gamma} | {name} | ours | {:.3} | {:.2} ± {:.2} | {:.2} ± {:.2} | {:.3} ± {:.3} | {:.2} ± {:.2} |",
        s.spread,
        s.profit.mean,
        s.profit.se_mean(),
        s.profit.std,
        s.profit.se_std(),
        s.final_q.mean,
        s.final_q.se_mean(),
        s.final_q.std,
        s.final_q.se_std()
    );
}

fn table(p: &AsParams, paths: usize, seed: u64) {
    println!("| γ | strategy | source | avg spread | profit | std(profit) | final q | std(final q) |");
    println!("|---|---|---|---|---|---|---|---|");
    for gamma in [0.1, 0.01, 0.5, 1.0] {
        let row = study(p, gamma, paths, seed);
        let paper = PAPER_TABLES.iter().find(|t| t.gamma == gamma);
        ours(gamma, "inventory", &row.inventory);
        if let Some(t) = paper {
            let l = t.inventory;
            println!(
                "| {gamma} | inventory | paper T{} | {} | {} | {} | {} | {} |",
                t.table, l.spread, l.profit, l.std_profit, l.final_q, l.std_final_q
            );
        }
        ours(gamma, "symmetric", &row.symmetric);
        println!(
            "| {gamma} | symmetric | exact E | {:.3} | {:.2} | | 0 | |",
            row.symmetric.spread,
            symmetric_expected_profit(p, row.symmetric.spread)
        );
        if let Some(t) = paper {
            let l = t.symmetric;
            if (l.spread - row.symmetric.spread).abs() > 0.05 {
                // The paper's listed spread differs from the inventory strategy's average
                // (Table 3): also run the symmetric strategy at the listed spread.
                let at = run_strategy(p, AsStrategy::Symmetric { spread: l.spread }, paths, seed, 2);
                ours(gamma, "symmetric @ paper spread", &at);
                println!(
                    "| {gamma} | symmetric @ paper spread | exact E | {:.3} | {:.2} | | 0 | |",
                    l.spread,
                    symmetric_expected_profit(p, l.spread)
                );
            }
            println!(
                "| {gamma} | symmetric | paper T{} | {} | {} | {} | {} | {} |",
                t.table, l.spread, l.profit, l.std_profit, l.final_q, l.std_final_q
            );
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let paths: usize = args.next().map_or(1000, |a| a.parse().expect("PATHS is a number"));
    let seed: u64 = args.next().map_or(2008, |a| a.parse().expect("SEED is a number"));
    let p = AsParams::PAPER;
    println!(
        "Avellaneda-Stoikov (2008) section 3.3: s0={} T={} sigma={} dt={} k={} A={}; {paths} paths, seed {seed}",
        p.s0, p.horizon, p.sigma, p.dt, p.k, p.a
    );
    for timing in [AsTiming::MoveThenFill, AsTiming::FillThenMove] {
        println!();
        println!("Timing {timing:?}:");
        println!();
        table(&p.with_timing(timing), paths, seed);
    }
    println!();
    println!("ours: mean ± standard error; std ± its large-sample standard error std/sqrt(2(n-1)).");
}

//! Input a lenient source could not read and skipped. Every skipped line is counted under a
//! stable reason; the first line of each reason since the host last looked is kept with its
//! line number and message, so the host can count them all and log each kind once, and the
//! memory held stays bounded by the number of reasons however damaged the input is.

/// Lines of one reason skipped since the last [`SkippedTally::take`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Stable kebab-case reason (`LineError::reason`, `ReadError::reason`).
    pub reason: &'static str,
    pub count: u64,
    /// 1-based line number of the first of them.
    pub first_line: u64,
    /// Why the first of them could not be read.
    pub message: String,
}

/// The skipped input of one source: pending (not yet taken) per reason, and the total.
#[derive(Debug, Default)]
pub struct SkippedTally {
    pending: Vec<Skipped>,
    total: u64,
}

impl SkippedTally {
    /// Counts one skipped line; `message` is only built for the first of its reason.
    pub fn record(&mut self, reason: &'static str, line: u64, message: impl FnOnce() -> String) {
        self.total += 1;
        match self.pending.iter_mut().find(|s| s.reason == reason) {
            Some(s) => s.count += 1,
            None => self.pending.push(Skipped { reason, count: 1, first_line: line, message: message() }),
        }
    }

    /// Moves what was skipped since the last take to `out`.
    pub fn take(&mut self, out: &mut Vec<Skipped>) {
        out.append(&mut self.pending);
    }

    /// Lines skipped since the start.
    pub fn total(&self) -> u64 {
        self.total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_reason_and_keeps_the_first_line_of_each() {
        let mut t = SkippedTally::default();
        t.record("negative", 7, || "line 7: '-1' is negative".into());
        t.record("malformed", 9, || "line 9: bad JSON".into());
        t.record("negative", 12, || unreachable!("only the first of a reason builds its message"));
        let mut out = Vec::new();
        t.take(&mut out);
        assert_eq!(
            out,
            vec![
                Skipped { reason: "negative", count: 2, first_line: 7, message: "line 7: '-1' is negative".into() },
                Skipped { reason: "malformed", count: 1, first_line: 9, message: "line 9: bad JSON".into() },
            ]
        );
        t.record("negative", 20, || "line 20".into());
        out.clear();
        t.take(&mut out);
        assert_eq!((out.len(), out[0].first_line, out[0].count, t.total()), (1, 20, 1, 4));
    }
}

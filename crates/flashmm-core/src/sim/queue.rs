//! Queue-position models: where our resting order stands among the public lots at its price.
//!
//! L2 data shows only the total size of a level, so the lots ahead of our order are an
//! estimate. Each of our orders keeps a [`QueuePos`]: the public lots estimated ahead of it
//! (`ahead`, never negative, never above the level's size) and the public lots traded at its
//! price since the level's last depth update (`traded`).
//!
//! * A new order (or one that lost priority) joins at the back: `ahead` = the level's size.
//! * A public trade at our price advances us by the public lots it traded ahead of us
//!   ([`QueueModel::on_trade`]; the matching engine decides how many, see the `exchange`
//!   module), in every model.
//! * A depth update of our level from `prev` to `new` lots ([`QueueModel::on_depth`]):
//!   - [`QueueModel::RiskAverse`] (hftbacktest's `RiskAdverseQueueModel`): cancellations never
//!     advance us; only a level that shrinks below our position pulls it down:
//!     `ahead = min(ahead, new)`.
//!   - [`QueueModel::Power`] and [`QueueModel::Log`] (hftbacktest's `ProbQueueModel` with
//!     `PowerProbQueueFunc` / `LogProbQueueFunc`): the decrease not explained by trades,
//!     `chg = prev − new − traded`, is split between the lots in front of us (`front = ahead`)
//!     and behind us (`back = prev − front`). The probability that a cancelled lot was
//!     *behind* us is `p = f(back) / (f(back) + f(front))`, so the expected share from the front
//!     is `f(front) / (f(front) + f(back))`, with `f(x) = x^n` (power) or `f(x) = ln(1 + x)`
//!     (log). The new position is hftbacktest's
//!     `front − (1 − p)·chg + min(back − p·chg, 0)` (the last term moves to the front whatever
//!     the back could not absorb), clamped to `[0, new]`. An increase (`chg <= 0`) only clamps
//!     to the new size. The model moves the position by its expectation: it is deterministic,
//!     no random numbers are drawn.
//!
//! `traded` is reset at every depth update of the level: the update already shows the trades.

/// How L2 size decreases at our price move our queue position.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum QueueModel {
    /// Position advances only on trades at our price.
    RiskAverse,
    /// Cancellations split between front and back by `f(x) = x^n` (n > 0, finite).
    Power(f64),
    /// Cancellations split between front and back by `f(x) = ln(1 + x)`.
    Log,
}

/// Our estimated place in the queue at our price.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueuePos {
    /// Public lots estimated ahead of us, in `[0, level size]`.
    pub ahead: f64,
    /// Public lots traded at our price since the level's last depth update.
    pub traded: i64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QueueModelError {
    #[error("power queue model exponent must be finite and > 0, got {0}")]
    BadExponent(f64),
}

impl Default for QueueModel {
    /// The one default of the simulated exchange's queue model: power, exponent 2
    /// (hftbacktest's `PowerProbQueueFunc` with n = 2).
    fn default() -> Self {
        QueueModel::Power(Self::DEFAULT_POWER_EXPONENT)
    }
}

impl QueueModel {
    /// The exponent of a power model when none is given.
    pub const DEFAULT_POWER_EXPONENT: f64 = 2.0;

    pub fn validate(&self) -> Result<(), QueueModelError> {
        match *self {
            QueueModel::Power(n) if !(n.is_finite() && n > 0.0) => Err(QueueModelError::BadExponent(n)),
            _ => Ok(()),
        }
    }

    pub fn name(&self) -> String {
        match self {
            QueueModel::RiskAverse => "risk-averse".into(),
            QueueModel::Power(n) => format!("power({n})"),
            QueueModel::Log => "log".into(),
        }
    }

    /// A position at the back of a level holding `level_size` public lots.
    pub fn join(&self, level_size: i64) -> QueuePos {
        QueuePos { ahead: level_size.max(0) as f64, traded: 0 }
    }

    /// A public trade at our price: `traded_ahead` public lots traded in front of us, out of a
    /// print of `print_lots` at this level.
    pub fn on_trade(&self, pos: &mut QueuePos, traded_ahead: f64, print_lots: i64) {
        pos.ahead = (pos.ahead - traded_ahead).max(0.0);
        pos.traded = pos.traded.saturating_add(print_lots);
    }

    /// The level at our price went from `prev` to `new` public lots.
    pub fn on_depth(&self, pos: &mut QueuePos, prev: i64, new: i64) {
        let traded = std::mem::take(&mut pos.traded);
        let new_f = new.max(0) as f64;
        let chg = (prev as f64) - new_f - traded as f64;
        match self {
            QueueModel::RiskAverse => {}
            QueueModel::Power(_) | QueueModel::Log if chg > 0.0 => {
                let front = pos.ahead;
                let back = (prev as f64 - front).max(0.0);
                let p = self.prob_back(front, back);
                let est = front - (1.0 - p) * chg + (back - p * chg).min(0.0);
                pos.ahead = est.max(0.0);
            }
            _ => {}
        }
        pos.ahead = pos.ahead.min(new_f);
    }

    /// Probability that a cancelled lot was behind us: `f(back) / (f(back) + f(front))`.
    /// Written in a form that neither overflows nor divides zero by zero; with nothing on
    /// either side it is 1 (a decrease cannot come from an empty front).
    pub fn prob_back(&self, front: f64, back: f64) -> f64 {
        if front <= 0.0 {
            return 1.0;
        }
        match *self {
            QueueModel::RiskAverse => 1.0,
            QueueModel::Power(n) => {
                if back <= 0.0 {
                    return 0.0;
                }
                // f(b) / (f(b) + f(f)) = 1 / (1 + (f/b)^n); an infinite ratio gives 0.
                1.0 / (1.0 + (front / back).powf(n))
            }
            QueueModel::Log => {
                let (fb, ff) = (back.ln_1p(), front.ln_1p());
                fb / (fb + ff)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn risk_averse_ignores_cancels_until_the_level_shrinks_below_us() {
        let m = QueueModel::RiskAverse;
        let mut q = m.join(10);
        m.on_depth(&mut q, 10, 15);
        assert_eq!(q.ahead, 10.0);
        m.on_depth(&mut q, 15, 12);
        assert_eq!(q.ahead, 10.0);
        m.on_depth(&mut q, 12, 4);
        assert_eq!(q.ahead, 4.0);
        m.on_trade(&mut q, 3.0, 3);
        assert_eq!(q.ahead, 1.0);
        assert_eq!(q.traded, 3);
        m.on_depth(&mut q, 4, 1);
        assert_eq!(q, QueuePos { ahead: 1.0, traded: 0 });
    }

    #[test]
    fn probabilities() {
        // f(x) = x^2: front 10, back 5 → p_back = 25 / 125 = 0.2.
        assert!((QueueModel::Power(2.0).prob_back(10.0, 5.0) - 0.2).abs() < 1e-15);
        // f(x) = ln(1+x): ln 6 / (ln 6 + ln 11).
        let want = 6f64.ln() / (6f64.ln() + 11f64.ln());
        assert!((QueueModel::Log.prob_back(10.0, 5.0) - want).abs() < 1e-15);
        assert_eq!(QueueModel::Power(2.0).prob_back(0.0, 0.0), 1.0);
        assert_eq!(QueueModel::Power(2.0).prob_back(3.0, 0.0), 0.0);
        assert_eq!(QueueModel::Power(400.0).prob_back(1e6, 1.0), 0.0);
        assert!(QueueModel::Power(0.0).validate().is_err());
        assert!(QueueModel::Power(f64::NAN).validate().is_err());
    }

    #[test]
    fn an_increase_never_moves_us_back() {
        for m in [QueueModel::RiskAverse, QueueModel::Power(3.0), QueueModel::Log] {
            let mut q = m.join(7);
            m.on_depth(&mut q, 7, 20);
            assert_eq!(q.ahead, 7.0, "{m:?}");
        }
    }
}

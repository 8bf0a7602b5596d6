//! What every option type of the core shares: `Default` holds the one default of each setting,
//! `validate()` refuses a bad value with an [`OptionError`] naming the option, so the binding
//! and the host convert and never decide.

/// A bad option value: `option` is the path of the setting (`intensity.minK`), as the host's
/// config and the binding's option objects spell it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {reason}")]
pub struct OptionError {
    pub option: String,
    pub reason: String,
}

impl OptionError {
    pub fn new(option: impl Into<String>, reason: impl Into<String>) -> Self {
        Self { option: option.into(), reason: reason.into() }
    }

    /// The stable code of the error (`docs/market-state.md`).
    pub fn code(&self) -> &'static str {
        "INVALID_OPTION"
    }

    /// The same error for an option nested under `prefix` (`volatility` + `halfLifeSeconds`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.option = if self.option.is_empty() { prefix.to_owned() } else { format!("{prefix}.{}", self.option) };
        self
    }
}

/// `value` must be finite and > 0.
pub(crate) fn positive(option: &str, value: f64) -> Result<(), OptionError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(OptionError::new(option, format!("must be > 0, got {value}")))
    }
}

/// `value` must be finite and >= 0.
pub(crate) fn non_negative(option: &str, value: f64) -> Result<(), OptionError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(OptionError::new(option, format!("must be >= 0, got {value}")))
    }
}

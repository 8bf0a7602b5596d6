//! The stable code of every core error (the table in `docs/market-state.md`): the binding
//! throws JS errors whose `code` is this, so a host branches on the code, never on the message.

use crate::backtest::BacktestError;
use crate::book::{BookError, DecodeError, InvalidReason, OwnOrderError};
use crate::features::NormalizeError;
use crate::ledger::LedgerError;
use crate::market_gen::ZiError;
use crate::options::OptionError;
use crate::replay::binance::ReadError;
use crate::replay::cache::CacheError;
use crate::replay::input::InputError;
use crate::replay::npz::NpzError;
use crate::replay::record::RecordError;
use crate::replay::{GeneratedError, WireError};
use crate::sim::{LatencyError, QueueModelError, SimError, VenueError};
use crate::spec::{DecimalError, SpecError};
use crate::stats::StatsError;

/// An error with a stable code.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

/// The code of a boxed source error (an event source's), when it is one of ours.
fn source_code(e: &(dyn std::error::Error + Send + Sync + 'static)) -> &'static str {
    e.downcast_ref::<ReadError>().map_or("IO", ErrorCode::code)
}

impl ErrorCode for ReadError {
    fn code(&self) -> &'static str {
        match self {
            ReadError::Open { .. } | ReadError::Io { .. } => "IO",
            ReadError::UnknownMarket { .. }
            | ReadError::UnknownSpec { .. }
            | ReadError::NoSymbol { .. }
            | ReadError::Spec { .. } => "UNKNOWN_MARKET",
            ReadError::Line { .. } => "BAD_LINE",
        }
    }
}

impl ErrorCode for RecordError {
    fn code(&self) -> &'static str {
        match self {
            RecordError::Io { .. } => "IO",
            RecordError::BadName(_) | RecordError::BadSymbol(_) => "INVALID_ARGUMENT",
        }
    }
}

impl ErrorCode for CacheError {
    fn code(&self) -> &'static str {
        match self {
            CacheError::Open { .. } | CacheError::Write { .. } | CacheError::SourceChanged { .. } => "IO",
            CacheError::NotACache { .. }
            | CacheError::Version { .. }
            | CacheError::Truncated { .. }
            | CacheError::Checksum { .. }
            | CacheError::Corrupt { .. } => "BAD_CACHE",
            CacheError::Stale { .. } => "STALE_CACHE",
            CacheError::Decode { source, .. } => source.code(),
        }
    }
}

impl ErrorCode for NpzError {
    fn code(&self) -> &'static str {
        match self {
            NpzError::Io { .. } => "IO",
            NpzError::Archive { .. } | NpzError::NoData { .. } | NpzError::DType { .. } | NpzError::Row { .. } => {
                "BAD_NPZ"
            }
            NpzError::UnknownMarket { .. } => "UNKNOWN_MARKET",
        }
    }
}

impl ErrorCode for InputError {
    fn code(&self) -> &'static str {
        match self {
            InputError::Read(e) => e.code(),
            InputError::Cache(e) => e.code(),
            InputError::Npz(e) => e.code(),
            InputError::Options(_) => "INVALID_OPTION",
        }
    }
}

impl ErrorCode for WireError {
    fn code(&self) -> &'static str {
        "BAD_FRAME"
    }
}

impl ErrorCode for InvalidReason {
    fn code(&self) -> &'static str {
        match self {
            InvalidReason::Gap { .. } => "SEQUENCE_GAP",
            InvalidReason::Crossed { .. } => "CROSSED_BOOK",
            InvalidReason::BadLevel { .. } => "BAD_LEVEL",
            InvalidReason::External(_) => "EXTERNAL",
        }
    }
}

impl ErrorCode for BookError {
    fn code(&self) -> &'static str {
        "BOOK_SEQUENCED"
    }
}

impl ErrorCode for OwnOrderError {
    fn code(&self) -> &'static str {
        "OWN_ORDER"
    }
}

impl ErrorCode for LedgerError {
    fn code(&self) -> &'static str {
        LedgerError::code(self)
    }
}

impl ErrorCode for OptionError {
    fn code(&self) -> &'static str {
        OptionError::code(self)
    }
}

impl ErrorCode for SimError {
    fn code(&self) -> &'static str {
        match self {
            SimError::SendTimeWentBackwards { .. } => "SEND_BEFORE_CLOCK",
            SimError::Queue(_) | SimError::Fee(_) | SimError::MinSize(_) | SimError::BlockTime(_) => "INVALID_OPTION",
        }
    }
}

impl ErrorCode for crate::sim::sei_block::SeiBookError {
    fn code(&self) -> &'static str {
        "INVALID_ARGUMENT"
    }
}

impl ErrorCode for VenueError {
    fn code(&self) -> &'static str {
        match self {
            VenueError::Sim(e) => e.code(),
            VenueError::Source(e) => source_code(e.as_ref()),
            VenueError::SendBeforeClock { .. } => "SEND_BEFORE_CLOCK",
        }
    }
}

impl ErrorCode for StatsError {
    fn code(&self) -> &'static str {
        match self {
            StatsError::NoSteps => "NO_STEPS",
            StatsError::Config(_) => "INVALID_OPTION",
            _ => "STATS",
        }
    }
}

impl ErrorCode for BacktestError {
    fn code(&self) -> &'static str {
        match self {
            BacktestError::Interval(_) => "INVALID_OPTION",
            BacktestError::Sim(e) => e.code(),
            BacktestError::Source(e) => source_code(e.as_ref()),
            BacktestError::NoSteps => "NO_STEPS",
            BacktestError::Stats(e) => e.code(),
            BacktestError::Options(e) => e.code(),
            BacktestError::Open(e) => e.code(),
        }
    }
}

/// Options that convert but do not hold: `INVALID_OPTION`.
macro_rules! invalid_option {
    ($($t:ty),*) => {$(
        impl ErrorCode for $t {
            fn code(&self) -> &'static str {
                "INVALID_OPTION"
            }
        }
    )*};
}
invalid_option!(GeneratedError, ZiError, LatencyError, QueueModelError, NormalizeError);

/// Values from the host that are not what they claim (off-grid decimals, non-integers).
macro_rules! invalid_argument {
    ($($t:ty),*) => {$(
        impl ErrorCode for $t {
            fn code(&self) -> &'static str {
                "INVALID_ARGUMENT"
            }
        }
    )*};
}
invalid_argument!(DecodeError, DecimalError, SpecError);

#[cfg(feature = "ml")]
mod ml {
    use super::ErrorCode;
    use crate::model::{ContractError, ModelError};
    use crate::train::{RunError, TrainError};

    impl ErrorCode for ModelError {
        fn code(&self) -> &'static str {
            match self {
                ModelError::Io { .. } => "IO",
                ModelError::Corrupt(_) | ModelError::Tract(_) => "MODEL_LOAD",
                ModelError::Contract(_) => "CONTRACT_MISMATCH",
                ModelError::Run(_) | ModelError::NonFinite { .. } | ModelError::NotReady { .. } => "MODEL_RUN",
                ModelError::StepMismatch { .. } => "STEP_MISMATCH",
                ModelError::WindowLength { .. } | ModelError::NonFiniteInput { .. } => "INVALID_ARGUMENT",
            }
        }
    }

    impl ErrorCode for ContractError {
        fn code(&self) -> &'static str {
            "CONTRACT_MISMATCH"
        }
    }

    impl ErrorCode for TrainError {
        fn code(&self) -> &'static str {
            "TRAIN"
        }
    }

    impl ErrorCode for RunError {
        fn code(&self) -> &'static str {
            match self {
                RunError::Read { source, .. } => source.code(),
                _ => "TRAIN",
            }
        }
    }
}

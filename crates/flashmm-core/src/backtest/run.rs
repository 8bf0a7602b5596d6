//! One backtest of the built-in touch-joining quoter from a description of it
//! ([`BaselineRun`]): the source is opened here (a file as [`crate::replay::input`] chooses its
//! reader: a recording, its cache or an hftbacktest event file; or a generated market), the
//! simulator is configured for it, `FeedDelay::Recorded`'s offset is measured on a second pass
//! over a fresh copy of the source, and progress is reported at most every
//! [`PROGRESS_EVERY`] of wall time. The binding converts options into a `BaselineRun` and
//! nothing else.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::replay::input::{InputKind, InputOptions, RecordedSource};
use crate::replay::{EventSource, ZiSource};
use crate::sim::{ConstantLatency, Matching, QueueModel, SimConfig};
use crate::spec::{BinanceMarket, MarketSpec};

use super::{
    Backtest, BacktestConfig, BacktestError, BacktestResult, BaselineConfig, BaselineQuoter, DEFAULT_INTERVAL_NS,
    FeedDelay, recorded_feed_offset,
};

/// How often progress is reported while a run goes (and once at its end).
pub const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Where the events come from.
#[derive(Clone, Debug)]
pub enum SourceSpec {
    /// A file, told apart by its first bytes ([`crate::replay::input`]): a Binance recording
    /// (gzip lines `<ns> <json>`; market from the file name prefix), read through its fresh
    /// cache when `input.use_cache`; a cache (`flashmm convert`); an hftbacktest `.npz` / `.npy`.
    File { path: PathBuf, input: InputOptions },
    /// A generated market on a grid.
    Generated { source: Box<ZiSource>, spec: MarketSpec },
}

/// The strategy's view of the book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeedSpec {
    /// A constant feed latency, ns.
    Constant(i64),
    /// The source's own receive times, shifted so that no feed latency is negative.
    Recorded,
}

/// A backtest of the built-in [`BaselineQuoter`] (see the module documentation). Defaults: the core's.
#[derive(Clone, Debug)]
pub struct BaselineRun {
    pub source: SourceSpec,
    pub quoter: BaselineConfig,
    pub queue: QueueModel,
    pub matching: Matching,
    pub latency: ConstantLatency,
    /// Fee overrides, ppm of notional (default the spec's).
    pub maker_fee_ppm: Option<i64>,
    pub taker_fee_ppm: Option<i64>,
    pub interval_ns: i64,
    pub end_ns: Option<i64>,
    pub feed: Option<FeedSpec>,
    /// Keep every request and report in the result.
    pub record_orders: bool,
}

impl BaselineRun {
    pub fn new(source: SourceSpec) -> Self {
        Self {
            source,
            quoter: BaselineConfig::default(),
            queue: QueueModel::default(),
            matching: Matching::default(),
            latency: ConstantLatency::default(),
            maker_fee_ppm: None,
            taker_fee_ppm: None,
            interval_ns: DEFAULT_INTERVAL_NS,
            end_ns: None,
            feed: None,
            record_orders: false,
        }
    }
}

/// What a run produced, with the market it ran on.
#[derive(Debug)]
pub struct BaselineRunResult {
    pub result: BacktestResult,
    pub spec: MarketSpec,
    /// The recording's Binance market; `None` for a generated market or an hftbacktest file
    /// on an explicit grid.
    pub market: Option<BinanceMarket>,
    /// What the file's events were read from; `None` for a generated market.
    pub input: Option<InputKind>,
    /// Why the cache beside the recording was rebuilt or bypassed, when it was.
    pub note: Option<String>,
}

enum Opened {
    File(Box<RecordedSource>),
    Generated(Box<ZiSource>),
}

impl Opened {
    /// The offset of [`FeedSpec::Recorded`]: one pass over a fresh copy of the source.
    fn feed_offset(&self) -> Result<i64, BacktestError> {
        match self {
            Opened::File(src) => recorded_feed_offset(src.reopen()?).map_err(|e| BacktestError::Source(Box::new(e))),
            Opened::Generated(src) => Ok(recorded_feed_offset(src.as_ref().clone()).unwrap_or_else(|e| match e {})),
        }
    }
}

impl BaselineRun {
    /// Runs to the end of the source; `progress(done, total)` (compressed bytes of a recording,
    /// bytes of a cache, events of an hftbacktest file, ns of a generated market) at most every
    /// [`PROGRESS_EVERY`] and once at the end.
    pub fn run(&self, mut progress: impl FnMut(u64, u64)) -> Result<BaselineRunResult, BacktestError> {
        self.quoter.validate()?;
        let mut note = None;
        let (mut source, spec, rule, market, input) = match &self.source {
            SourceSpec::File { path, input } => {
                let opened = RecordedSource::open(path, input)?;
                note = opened.note;
                let src = opened.source;
                let (spec, rule, market, kind) = (src.spec().clone(), src.rule(), src.market(), src.kind());
                (Opened::File(Box::new(src)), spec, rule, market, Some(kind))
            }
            SourceSpec::Generated { source, spec } => {
                (Opened::Generated(source.clone()), spec.clone(), source.rule(), None, None)
            }
        };
        let mut sim = SimConfig::new(&spec, rule).with_queue(self.queue).with_matching(self.matching);
        sim.maker_fee_ppm = self.maker_fee_ppm.unwrap_or(sim.maker_fee_ppm);
        sim.taker_fee_ppm = self.taker_fee_ppm.unwrap_or(sim.taker_fee_ppm);
        let mut cfg = BacktestConfig::new(sim, self.latency);
        cfg.interval_ns = self.interval_ns;
        cfg.end_ns = self.end_ns;
        cfg.record_orders = self.record_orders;
        cfg.feed = match self.feed {
            None => None,
            Some(FeedSpec::Constant(delay_ns)) => Some(FeedDelay::Constant { delay_ns }),
            Some(FeedSpec::Recorded) => Some(FeedDelay::Recorded { offset_ns: source.feed_offset()? }),
        };
        let backtest = Backtest::new(cfg, BaselineQuoter::new(self.quoter))?;
        let mut last: Option<Instant> = None;
        let mut on_batch = |p: &super::Progress| {
            if last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
                last = Some(Instant::now());
                progress(p.source.bytes_read, p.source.total_bytes.unwrap_or(0));
            }
        };
        let (result, end) = match &mut source {
            Opened::File(src) => (backtest.run_with_progress(src.as_mut(), &mut on_batch)?, src.progress()),
            Opened::Generated(src) => (backtest.run_with_progress(src.as_mut(), &mut on_batch)?, src.progress()),
        };
        progress(end.bytes_read, end.total_bytes.unwrap_or(0));
        Ok(BaselineRunResult { result, spec, market, input, note })
    }
}

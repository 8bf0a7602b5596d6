//! One market's state: the book, our resting orders, the σ and A/k estimators, the model
//! signal (optional) and the last exchange time. `apply` takes a venue batch, `decision_inputs`
//! gives a decision what it reads: one call each from the host (docs/market-state.md).

use crate::book::{DEFAULT_BUFFER_LIMIT, L2Book, Level, OwnOrder, OwnOrderError, SequenceRule, Side};
use crate::features::DatasetConfig;
#[cfg(feature = "ml")]
use crate::features::{FEATURES, Feature};
#[cfg(feature = "ml")]
use crate::model::{ModelError, ModelSlot, Prediction, Signal};
use crate::options::{OptionError, non_negative, positive};
use crate::replay::{BookReplay, EventBatch, EventKind, ReplayCounts};

use super::intensity::{IntensityEstimate, IntensityEstimator, IntensityOptions};
use super::volatility::{EwmaVolatility, VolatilityOptions};

/// Options of a [`MarketState`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarketOptions {
    /// How the venue's depth updates chain.
    pub rule: SequenceRule,
    /// Diffs held while waiting for a snapshot.
    pub max_buffered_diffs: usize,
    /// [`ApplyResult::moved`]: the mid this many basis points from the last decision's mid.
    pub large_move_bps: f64,
    /// The venue's public book includes our own orders (a real venue): the [`Top`] is then the
    /// book net of our liquidity. The simulated venue's feed leaves them out.
    pub net_of_own: bool,
    pub volatility: VolatilityOptions,
    pub intensity: IntensityOptions,
    /// The signal's rows start this long after the book becomes valid (the dataset's warm-up,
    /// so that served windows are the windows the model was trained on).
    pub signal_warmup_ns: i64,
}

impl Default for MarketOptions {
    fn default() -> Self {
        Self {
            rule: SequenceRule::Strict,
            max_buffered_diffs: DEFAULT_BUFFER_LIMIT,
            large_move_bps: 10.0,
            net_of_own: false,
            volatility: VolatilityOptions::default(),
            intensity: IntensityOptions::default(),
            signal_warmup_ns: DatasetConfig::default().warmup_ns,
        }
    }
}

impl MarketOptions {
    pub fn validate(&self) -> Result<(), OptionError> {
        if self.max_buffered_diffs == 0 {
            return Err(OptionError::new("maxBufferedDiffs", "must be >= 1"));
        }
        positive("largeMoveBps", self.large_move_bps)?;
        non_negative("signalWarmupMs", self.signal_warmup_ns as f64)?;
        self.volatility.validate().map_err(|e| e.within("volatility"))?;
        self.intensity.validate().map_err(|e| e.within("intensity"))
    }
}

/// The touch a decision reads: best bid and ask (net of our liquidity with
/// [`MarketOptions::net_of_own`]), the mid (possibly a half tick) and the micro-price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Top {
    pub bid: Level,
    pub ask: Level,
    pub mid: f64,
    pub micro_price: f64,
    /// Exchange time of the book state (the market's exchange clock), ns.
    pub exchange_ts: i64,
}

impl Top {
    fn of(bid: Level, ask: Level, exchange_ts: i64) -> Self {
        let (bs, asz) = (bid.size as f64, ask.size as f64);
        Top {
            bid,
            ask,
            mid: (bid.price + ask.price) as f64 / 2.0,
            micro_price: (bid.price as f64 * asz + ask.price as f64 * bs) / (bs + asz),
            exchange_ts,
        }
    }

    /// `bid + ask`: the mid in half ticks, the ledger's exact mark.
    pub fn mid2(&self) -> i64 {
        self.bid.price + self.ask.price
    }
}

/// What one venue batch did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ApplyResult {
    pub events: usize,
    /// The book is valid after the batch.
    pub valid: bool,
    /// `None`: invalid, awaiting a snapshot or one-sided (never quote then).
    pub top: Option<Top>,
    pub trades: usize,
    /// Exchange clock (running max), ns; 0 before any timed event.
    pub last_exchange_ts: i64,
    /// The mid is [`MarketOptions::large_move_bps`] or more from the last decision's mid.
    pub moved: bool,
}

/// The model's view at a decision: the shortest horizon's probabilities.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forecast {
    pub p_up: f64,
    pub p_down: f64,
    /// The shortest horizon's confidence, in [0, 1].
    pub confidence: f64,
}

/// Order optimisation's question: how many lots of other participants' liquidity to look
/// through on each side before quoting behind it (the dust at the touch is skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepthQuery {
    pub bid_lots: i64,
    pub ask_lots: i64,
}

/// Its answer: the price on each side where that much of their liquidity is reached (net of
/// ours with [`MarketOptions::net_of_own`]); `None` on a side that holds less.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DepthPrices {
    pub bid: Option<i64>,
    pub ask: Option<i64>,
}

/// Everything a quote decision reads of the market, in one call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DecisionInputs {
    pub top: Option<Top>,
    /// σ of the mid, ticks/√s.
    pub sigma: f64,
    pub sigma_ready: bool,
    pub intensity: IntensityEstimate,
    /// `None` without a model, or while its window fills.
    pub forecast: Option<Forecast>,
    /// With a [`DepthQuery`] set and a quotable book: the prices it asks for.
    pub depth: Option<DepthPrices>,
}

/// The features an operator's view of a market shows (of the latest row the model read): the
/// spread, order-book and trade-flow imbalances, the last second's return, realised volatility.
#[cfg(feature = "ml")]
pub const FEATURE_SUMMARY: [Feature; 8] = [
    Feature::SpreadBps,
    Feature::Imb1,
    Feature::Imb5,
    Feature::Ofi1s,
    Feature::Tfi1s,
    Feature::Ret1s,
    Feature::Rv5s,
    Feature::EwmaVol10s,
];

/// The book, with or without the model that reads it (one book per market either way).
#[derive(Debug)]
enum Feed {
    Book(Box<BookReplay>),
    #[cfg(feature = "ml")]
    Model(Box<Signal>),
}

/// One market's state (see the module documentation).
#[derive(Debug)]
pub struct MarketState {
    options: MarketOptions,
    feed: Feed,
    volatility: EwmaVolatility,
    intensity: IntensityEstimator,
    last_exchange_ts: i64,
    last_decision_mid: Option<f64>,
    /// The latest decision's prediction, every horizon (status pages).
    #[cfg(feature = "ml")]
    last_prediction: Option<Prediction>,
    depth_query: Option<DepthQuery>,
}

impl MarketState {
    pub fn new(options: MarketOptions) -> Result<Self, OptionError> {
        options.validate()?;
        let book = L2Book::with_buffer_limit(options.rule, options.max_buffered_diffs);
        Self::with_feed(options, Feed::Book(Box::new(BookReplay::with_book(book))))
    }

    /// A market whose model forecasts from this book (`slot`: the model, hot-reloadable).
    #[cfg(feature = "ml")]
    pub fn with_model(options: MarketOptions, slot: std::sync::Arc<ModelSlot>) -> Result<Self, OptionError> {
        options.validate()?;
        let signal = Signal::with_book(
            slot,
            L2Book::with_buffer_limit(options.rule, options.max_buffered_diffs),
            options.signal_warmup_ns,
        );
        Self::with_feed(options, Feed::Model(Box::new(signal)))
    }

    fn with_feed(options: MarketOptions, feed: Feed) -> Result<Self, OptionError> {
        Ok(Self {
            volatility: EwmaVolatility::new(options.volatility).map_err(|e| e.within("volatility"))?,
            intensity: IntensityEstimator::new(options.intensity).map_err(|e| e.within("intensity"))?,
            options,
            feed,
            last_exchange_ts: 0,
            last_decision_mid: None,
            #[cfg(feature = "ml")]
            last_prediction: None,
            depth_query: None,
        })
    }

    pub fn options(&self) -> &MarketOptions {
        &self.options
    }

    /// The book and its replay counters.
    pub fn replay(&self) -> &BookReplay {
        match &self.feed {
            Feed::Book(r) => r,
            #[cfg(feature = "ml")]
            Feed::Model(s) => s.replay(),
        }
    }

    pub fn book(&self) -> &L2Book {
        &self.replay().book
    }

    fn book_mut(&mut self) -> &mut L2Book {
        match &mut self.feed {
            Feed::Book(r) => &mut r.book,
            #[cfg(feature = "ml")]
            Feed::Model(s) => s.book_mut(),
        }
    }

    pub fn counts(&self) -> ReplayCounts {
        self.replay().counts()
    }

    /// Applies a venue batch in order: trades feed the intensity estimator with the mid just
    /// before them, book events the book (and the model's features), then σ takes the batch's
    /// closing mid at the exchange clock.
    pub fn apply(&mut self, batch: &EventBatch) -> ApplyResult {
        let mut trades = 0;
        for e in batch.iter() {
            if e.exchange_ts > self.last_exchange_ts {
                self.last_exchange_ts = e.exchange_ts;
            }
            if e.kind == EventKind::Trade {
                trades += 1;
                if let (Some(l), Some(top)) = (e.bids.first(), self.top()) {
                    self.intensity.on_trade(l.price as f64, top.mid, e.exchange_ts);
                }
            }
            match &mut self.feed {
                Feed::Book(r) => {
                    r.apply(&e);
                }
                #[cfg(feature = "ml")]
                Feed::Model(s) => {
                    s.push(&e);
                }
            }
        }
        let top = if batch.is_empty() { self.top() } else { self.after_batch() };
        let moved = match (top, self.last_decision_mid) {
            (Some(t), Some(m)) => (t.mid - m).abs() / m * 1e4 >= self.options.large_move_bps,
            _ => false,
        };
        ApplyResult {
            events: batch.len(),
            valid: self.book().is_valid(),
            top,
            trades,
            last_exchange_ts: self.last_exchange_ts,
            moved,
        }
    }

    fn after_batch(&mut self) -> Option<Top> {
        let top = self.top();
        if let Some(t) = top {
            self.volatility.update(t.mid, self.last_exchange_ts);
        }
        top
    }

    /// The touch, or `None` while the book is invalid, awaiting a snapshot or one-sided.
    pub fn top(&self) -> Option<Top> {
        let book = self.book();
        if !book.is_valid() {
            return None;
        }
        let (bid, ask) = if self.options.net_of_own {
            (book.net_top_levels(Side::Buy, 1).first().copied()?, book.net_top_levels(Side::Sell, 1).first().copied()?)
        } else {
            (book.best_bid()?, book.best_ask()?)
        };
        Some(Top::of(bid, ask, self.last_exchange_ts))
    }

    /// What a decision at `now_ns` reads; remembers the mid for [`ApplyResult::moved`].
    #[cfg(feature = "ml")]
    pub fn decision_inputs(&mut self, now_ns: i64) -> Result<DecisionInputs, ModelError> {
        let prediction = match &mut self.feed {
            Feed::Book(_) => None,
            Feed::Model(s) => s.predict()?,
        };
        self.last_prediction = prediction;
        let forecast = prediction.and_then(|p| {
            let first = p.probs().first()?;
            Some(Forecast {
                p_down: f64::from(first[0]),
                p_up: f64::from(first[2]),
                confidence: f64::from(p.overall_confidence()),
            })
        });
        Ok(self.inputs(now_ns, forecast))
    }

    /// What a decision at `now_ns` reads; remembers the mid for [`ApplyResult::moved`].
    #[cfg(not(feature = "ml"))]
    pub fn decision_inputs(&mut self, now_ns: i64) -> Result<DecisionInputs, std::convert::Infallible> {
        Ok(self.inputs(now_ns, None))
    }

    fn inputs(&mut self, now_ns: i64, forecast: Option<Forecast>) -> DecisionInputs {
        let top = self.top();
        if let Some(t) = top {
            self.last_decision_mid = Some(t.mid);
        }
        DecisionInputs {
            top,
            sigma: self.volatility.sigma(),
            sigma_ready: self.volatility.ready(),
            intensity: self.intensity.estimate(now_ns),
            forecast,
            depth: self.depth_query.filter(|_| top.is_some()).map(|q| self.depth_prices(q)),
        }
    }

    /// Asks every following decision for [`DecisionInputs::depth`] (`None`: stop asking).
    pub fn set_depth_query(&mut self, query: Option<DepthQuery>) {
        self.depth_query = query;
    }

    /// Where `query`'s depth of other participants' liquidity is reached on each side.
    pub fn depth_prices(&self, query: DepthQuery) -> DepthPrices {
        let book = self.book();
        let net = self.options.net_of_own;
        DepthPrices {
            bid: book.price_at_depth(Side::Buy, query.bid_lots, net),
            ask: book.price_at_depth(Side::Sell, query.ask_lots, net),
        }
    }

    /// Up to `n` levels of `side` from the touch outward, as [`MarketState::top`] sees the
    /// book (net of our liquidity with [`MarketOptions::net_of_own`]); none while invalid.
    pub fn top_levels(&self, side: Side, n: usize) -> Vec<Level> {
        let book = self.book();
        if !book.is_valid() {
            return Vec::new();
        }
        if self.options.net_of_own { book.net_top_levels(side, n) } else { book.top_levels(side, n).collect() }
    }

    /// The latest decision's prediction (every horizon), if it had one.
    #[cfg(feature = "ml")]
    pub fn last_prediction(&self) -> Option<&Prediction> {
        self.last_prediction.as_ref()
    }

    /// [`FEATURE_SUMMARY`] of the latest row the model read: `(name, value)`.
    #[cfg(feature = "ml")]
    pub fn feature_summary(&self) -> Option<[(&'static str, f32); FEATURE_SUMMARY.len()]> {
        let row = self.signal()?.latest_row()?;
        Some(FEATURE_SUMMARY.map(|f| (FEATURES[f as usize].name, row[f as usize])))
    }

    /// The model serving this market, if any.
    #[cfg(feature = "ml")]
    pub fn signal(&self) -> Option<&Signal> {
        match &self.feed {
            Feed::Book(_) => None,
            Feed::Model(s) => Some(s),
        }
    }

    /// The model serving this market, mutably (draining its forecast log).
    #[cfg(feature = "ml")]
    pub fn signal_mut(&mut self) -> Option<&mut Signal> {
        match &mut self.feed {
            Feed::Book(_) => None,
            Feed::Model(s) => Some(s),
        }
    }

    /// Marks the book invalid (a stale feed, a disconnect): no quotes until a snapshot.
    pub fn invalidate(&mut self, reason: impl Into<String>) {
        self.book_mut().invalidate(reason);
    }

    /// Our resting orders: the book's own-order side, so the book can be seen net of them.
    pub fn add_own_order(&mut self, order: OwnOrder) -> Result<(), OwnOrderError> {
        self.book_mut().add_own_order(order)
    }

    /// A fill of `lots` of an own order; returns what is left (0 removes it).
    pub fn fill_own_order(&mut self, id: u64, lots: i64) -> Result<i64, OwnOrderError> {
        self.book_mut().fill_own_order(id, lots)
    }

    pub fn remove_own_order(&mut self, id: u64) -> Result<OwnOrder, OwnOrderError> {
        self.book_mut().remove_own_order(id)
    }
}

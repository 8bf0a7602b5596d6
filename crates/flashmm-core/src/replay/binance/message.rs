//! The fields of one message as the visitors collect them, and the event of each stream kind.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed};

use crate::book::Level;
use crate::replay::{EventBatch, EventKind, FLAG_BUYER_MAKER};
use crate::spec::{BinanceMarket, MarketSpec, Quantum};

use super::error::*;
use super::line::*;
use super::visitors::*;

/// One side of a message: `b`/`a`/`bids`/`asks` hold levels in depth messages and a single
/// price string in a bookTicker.
#[derive(Clone, Copy, Debug, Default)]
pub(super) enum SideVal {
    #[default]
    Absent,
    Levels,
    Price(i64),
}

/// Everything any supported message can carry; filled by the visitors, checked afterwards.
#[derive(Default)]
pub(super) struct Msg<'a> {
    pub(super) stream: Option<Cow<'a, str>>,
    pub(super) kind: Option<StreamKind>,
    pub(super) has_data: bool,
    pub(super) last_update_id: Option<u64>,
    pub(super) snapshot_symbol: Option<Cow<'a, str>>,
    pub(super) event: Option<Cow<'a, str>>,  // e
    pub(super) event_ms: Option<u64>,        // E
    pub(super) transaction_ms: Option<u64>,  // T
    pub(super) symbol: Option<Cow<'a, str>>, // s
    pub(super) first_id: Option<u64>,        // U
    pub(super) last_id: Option<u64>,         // u
    pub(super) prev_id: Option<u64>,         // pu
    pub(super) trade_id: Option<u64>,        // t
    pub(super) buyer_maker: Option<bool>,    // m
    pub(super) price: Option<i64>,           // p (ticks)
    pub(super) qty: Option<i64>,             // q (lots)
    pub(super) bid: SideVal,                 // b / bids
    pub(super) ask: SideVal,                 // a / asks
    pub(super) bid_qty: Option<i64>,         // B (lots)
    pub(super) ask_qty: Option<i64>,         // A (lots)
}

pub(super) struct Ctx<'c> {
    pub(super) tick: Quantum,
    pub(super) lot: Quantum,
    pub(super) symbol: &'c str,
    pub(super) bids: &'c mut Vec<Level>,
    pub(super) asks: &'c mut Vec<Level>,
    /// The precise error behind a visitor's generic `Err`.
    pub(super) err: Option<LineError>,
}

impl Ctx<'_> {
    pub(super) fn fail<E: de::Error>(&mut self, e: LineError) -> E {
        self.err = Some(e);
        E::custom("invalid message")
    }
}

pub(super) fn ms_to_ns(ms: u64, field: &'static str) -> Result<i64, LineError> {
    i64::try_from(ms)
        .ok()
        .and_then(|v| v.checked_mul(1_000_000))
        .ok_or_else(|| LineError::Shape(format!("'{field}' = {ms} ms is out of range")))
}

pub(super) fn need<T>(v: Option<T>, kind: &'static str, field: &'static str) -> Result<T, LineError> {
    v.ok_or(LineError::Missing { kind, field })
}

pub(super) fn need_levels(v: SideVal, kind: &'static str, field: &'static str) -> Result<(), LineError> {
    match v {
        SideVal::Levels => Ok(()),
        SideVal::Absent => Err(LineError::Missing { kind, field }),
        SideVal::Price(_) => {
            Err(LineError::Shape(format!("'{field}' of a {kind} must be an array of [price, size] levels")))
        }
    }
}

pub(super) fn need_price(v: SideVal, kind: &'static str, field: &'static str) -> Result<i64, LineError> {
    match v {
        SideVal::Price(p) => Ok(p),
        SideVal::Absent => Err(LineError::Missing { kind, field }),
        SideVal::Levels => Err(LineError::Shape(format!("'{field}' of a {kind} must be a price string"))),
    }
}

pub(super) fn to_u32(n: usize) -> Result<u32, LineError> {
    u32::try_from(n)
        .map_err(|_| LineError::Shape("the batch holds more than 2^32 levels; ask for fewer events per batch".into()))
}

#[allow(clippy::too_many_arguments)]
pub(super) fn parse_json(
    json: &[u8],
    local_ts: i64,
    spec: &MarketSpec,
    market: BinanceMarket,
    batch: &mut EventBatch,
    asks: &mut Vec<Level>,
    start: usize,
) -> Result<(), LineError> {
    let mut msg = Msg::default();
    {
        let mut ctx =
            Ctx { tick: spec.tick, lot: spec.lot, symbol: &spec.symbol, bids: &mut batch.levels, asks, err: None };
        let mut de = serde_json::Deserializer::from_slice(json);
        let res = MsgSeed { msg: &mut msg, ctx: &mut ctx, top: true }.deserialize(&mut de).and_then(|()| de.end());
        if let Err(e) = res {
            return Err(ctx.err.take().unwrap_or(LineError::Json(e)));
        }
    }

    let check_symbol = |field: &'static str, found: &Option<Cow<'_, str>>| match found {
        Some(s) if !s.eq_ignore_ascii_case(&spec.symbol) => {
            Err(LineError::SymbolMismatch { field, found: s.clone().into_owned(), expected: spec.symbol.clone() })
        }
        _ => Ok(()),
    };

    let Some(kind) = msg.kind else {
        // Not an envelope: the REST depth snapshot.
        if msg.has_data {
            return Err(LineError::Missing { kind: "stream message", field: "stream" });
        }
        let Some(id) = msg.last_update_id else {
            return Err(LineError::Shape(
                "neither a combined-stream message {\"stream\",\"data\"} nor a depth snapshot {\"lastUpdateId\",\"bids\",\"asks\"}".into(),
            ));
        };
        check_symbol("snapshot symbol", &msg.snapshot_symbol)?;
        return snapshot(&msg, id, Out { batch, asks, start, local_ts });
    };

    if !msg.has_data {
        return Err(LineError::Missing { kind: "stream message", field: "data" });
    }
    if msg.last_update_id.is_some() {
        return Err(LineError::Shape("a stream message must not carry 'lastUpdateId'".into()));
    }
    if let Some(e) = &msg.event
        && e != kind.event_type()
    {
        return Err(LineError::EventType {
            stream: msg.stream.clone().unwrap_or_default().into_owned(),
            event: e.clone().into_owned(),
            expected: kind.event_type(),
        });
    }
    check_symbol("'s'", &msg.symbol)?;
    let out = Out { batch, asks, start, local_ts };
    match kind {
        StreamKind::Depth => depth(&msg, market, out),
        StreamKind::Trade => trade(&msg, out),
        StreamKind::BookTicker => book_ticker(&msg, out),
    }
}

/// Where one line's event goes: its bids already in `batch.levels` from `start`, its asks in
/// `asks` (the visitors fill both), stamped `local_ts`.
pub(super) struct Out<'b> {
    batch: &'b mut EventBatch,
    asks: &'b [Level],
    start: usize,
    local_ts: i64,
}

impl Out<'_> {
    /// Appends the event with the bids and asks the visitors collected.
    fn push_book(
        self,
        kind: EventKind,
        exchange_ts: i64,
        first: u64,
        last: u64,
        prev: Option<u64>,
    ) -> Result<(), LineError> {
        let bid_count = to_u32(self.batch.levels.len() - self.start)?;
        self.batch.levels.extend_from_slice(self.asks);
        to_u32(self.batch.levels.len())?;
        self.batch.push(kind, self.local_ts, exchange_ts, first, last, prev, 0, self.start as u32, bid_count);
        Ok(())
    }

    /// Replaces whatever the visitors collected with `levels` and appends the event.
    fn push_levels(
        self,
        kind: EventKind,
        exchange_ts: i64,
        id: u64,
        flags: u8,
        levels: &[Level],
    ) -> Result<(), LineError> {
        self.batch.levels.truncate(self.start);
        self.batch.levels.extend_from_slice(levels);
        to_u32(self.batch.levels.len())?;
        // A trade's one level and a ticker's best bid are the one bid-slot level.
        self.batch.push(kind, self.local_ts, exchange_ts, id, id, None, flags, self.start as u32, 1);
        Ok(())
    }
}

/// The REST depth snapshot (`lastUpdateId`, `bids`, `asks`; `E` if present).
fn snapshot(msg: &Msg<'_>, id: u64, out: Out<'_>) -> Result<(), LineError> {
    need_levels(msg.bid, "depth snapshot", "bids")?;
    need_levels(msg.ask, "depth snapshot", "asks")?;
    let exchange_ts = msg.event_ms.map(|ms| ms_to_ns(ms, "E")).transpose()?.unwrap_or(0);
    out.push_book(EventKind::Snapshot, exchange_ts, id, id, None)
}

/// `@depth…`: `U`..=`u`, `E`, `b`, `a`; futures also `pu` (required there, refused on spot).
fn depth(msg: &Msg<'_>, market: BinanceMarket, out: Out<'_>) -> Result<(), LineError> {
    let name = StreamKind::Depth.name();
    let first = need(msg.first_id, name, "U")?;
    let last = need(msg.last_id, name, "u")?;
    let exchange_ts = ms_to_ns(need(msg.event_ms, name, "E")?, "E")?;
    let prev = match (market, msg.prev_id) {
        (BinanceMarket::Spot, None) => None,
        (BinanceMarket::Spot, Some(_)) => {
            return Err(LineError::Shape(
                "a spot depth diff carries 'pu': is this a futures recording read as spot?".into(),
            ));
        }
        (_, Some(pu)) => Some(pu),
        (_, None) => return Err(LineError::Missing { kind: "futures depth diff", field: "pu" }),
    };
    need_levels(msg.bid, name, "b")?;
    need_levels(msg.ask, name, "a")?;
    out.push_book(EventKind::DepthDiff, exchange_ts, first, last, prev)
}

/// `@trade`: `t`, `p`, `q`, `T`, `m` (buyer is maker → [`FLAG_BUYER_MAKER`]); one bid-slot level.
fn trade(msg: &Msg<'_>, out: Out<'_>) -> Result<(), LineError> {
    let name = StreamKind::Trade.name();
    let id = need(msg.trade_id, name, "t")?;
    let price = need(msg.price, name, "p")?;
    let qty = need(msg.qty, name, "q")?;
    let exchange_ts = ms_to_ns(need(msg.transaction_ms, name, "T")?, "T")?;
    let flags = if need(msg.buyer_maker, name, "m")? { FLAG_BUYER_MAKER } else { 0 };
    out.push_levels(EventKind::Trade, exchange_ts, id, flags, &[Level { price, size: qty }])
}

/// `@bookTicker`: `u`, `b`/`B`, `a`/`A` (`E` on futures): best bid then best ask.
fn book_ticker(msg: &Msg<'_>, out: Out<'_>) -> Result<(), LineError> {
    let name = StreamKind::BookTicker.name();
    let id = need(msg.last_id, name, "u")?;
    let bid = Level { price: need_price(msg.bid, name, "b")?, size: need(msg.bid_qty, name, "B")? };
    let ask = Level { price: need_price(msg.ask, name, "a")?, size: need(msg.ask_qty, name, "A")? };
    let exchange_ts = msg.event_ms.map(|ms| ms_to_ns(ms, "E")).transpose()?.unwrap_or(0);
    out.push_levels(EventKind::BookTicker, exchange_ts, id, 0, &[bid, ask])
}

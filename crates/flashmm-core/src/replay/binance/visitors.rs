//! The serde visitors: borrow strings from the line and convert each level straight into the batch.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::book::Level;
use crate::spec::{DecimalError, Quantum};

use super::error::*;
use super::line::*;
use super::message::*;

pub(super) fn put<T, E: de::Error>(slot: &mut Option<T>, v: T, name: &'static str, ctx: &mut Ctx<'_>) -> Result<(), E> {
    if slot.is_some() {
        return Err(ctx.fail(LineError::Duplicate(name)));
    }
    *slot = Some(v);
    Ok(())
}

#[derive(Clone, Copy)]
pub(super) enum Key {
    Stream,
    Data,
    LastUpdateId,
    Symbol,
    Bids,
    Asks,
    LowerE,
    UpperE,
    UpperT,
    LowerS,
    UpperU,
    LowerU,
    Pu,
    LowerT,
    LowerM,
    LowerP,
    LowerQ,
    LowerB,
    UpperB,
    LowerA,
    UpperA,
    Other,
}

pub(super) struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        d.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v.as_bytes() {
            b"b" => Key::LowerB,
            b"a" => Key::LowerA,
            b"B" => Key::UpperB,
            b"A" => Key::UpperA,
            b"e" => Key::LowerE,
            b"E" => Key::UpperE,
            b"T" => Key::UpperT,
            b"s" => Key::LowerS,
            b"U" => Key::UpperU,
            b"u" => Key::LowerU,
            b"pu" => Key::Pu,
            b"t" => Key::LowerT,
            b"m" => Key::LowerM,
            b"p" => Key::LowerP,
            b"q" => Key::LowerQ,
            b"stream" => Key::Stream,
            b"data" => Key::Data,
            b"lastUpdateId" => Key::LastUpdateId,
            b"symbol" => Key::Symbol,
            b"bids" => Key::Bids,
            b"asks" => Key::Asks,
            _ => Key::Other,
        })
    }
}

/// A string borrowed from the line when it has no escapes.
pub(super) struct CowStr<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Names a decimal field in error messages without allocating unless there is an error.
#[derive(Clone, Copy)]
pub(super) enum FieldName {
    Plain(&'static str),
    Level { side: &'static str, index: usize, what: &'static str },
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldName::Plain(s) => write!(f, "{s}"),
            FieldName::Level { side, index, what } => write!(f, "{side}[{index}] {what}"),
        }
    }
}

/// A decimal string converted to a count of `quantum`.
pub(super) struct Dec<'x> {
    pub(super) quantum: Quantum,
    pub(super) field: FieldName,
    pub(super) err: &'x mut Option<LineError>,
}

impl<'de> DeserializeSeed<'de> for Dec<'_> {
    type Value = i64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Dec<'_> {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a decimal string for {}", self.field)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
        count(self.quantum, v).map_err(|source| {
            *self.err = Some(LineError::Decimal { field: self.field.to_string(), source });
            E::custom("invalid decimal")
        })
    }
}

/// [`Quantum::count`] with a fast path for power-of-ten quanta (every built-in Binance grid).
/// The fast path only ever returns what `Quantum::count` would; anything unusual (errors,
/// more than 19 digits, ...) goes to `Quantum::count`, which also words the error.
#[inline]
pub(super) fn count(quantum: Quantum, s: &str) -> Result<i64, DecimalError> {
    if quantum.mantissa() == 1
        && let Some(v) = count_pow10(s.as_bytes(), quantum.scale())
    {
        return Ok(v);
    }
    quantum.count(s)
}

/// `s` (`digits[.digits]`) as a count of 10^-`scale`; `None` when off the grid, malformed, out
/// of range or longer than 19 bytes (left for the slow path to judge).
#[inline]
pub(super) fn count_pow10(s: &[u8], scale: u32) -> Option<i64> {
    // At most 19 digits: the accumulation below cannot overflow a u64.
    if s.is_empty() || s.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    let mut i = 0;
    while let Some(&d) = s.get(i) {
        if !d.is_ascii_digit() {
            break;
        }
        v = v * 10 + u64::from(d - b'0');
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let mut kept = 0u32;
    if let Some(&dot) = s.get(i) {
        let frac = s.get(i + 1..)?;
        if dot != b'.' || frac.is_empty() {
            return None;
        }
        for &d in frac {
            if !d.is_ascii_digit() {
                return None;
            }
            if kept < scale {
                v = v * 10 + u64::from(d - b'0');
                kept += 1;
            } else if d != b'0' {
                return None;
            }
        }
    }
    while kept < scale {
        v = v.checked_mul(10)?;
        kept += 1;
    }
    i64::try_from(v).ok()
}

pub(super) fn dec<'x>(quantum: Quantum, field: FieldName, err: &'x mut Option<LineError>) -> Dec<'x> {
    Dec { quantum, field, err }
}

/// `b`/`a`/`bids`/`asks`: an array of `[price, size]` levels (pushed into the context) or a
/// single price string (bookTicker).
pub(super) struct SideSeed<'m, 'c> {
    pub(super) ctx: &'m mut Ctx<'c>,
    pub(super) bid: bool,
    pub(super) name: &'static str,
}

impl<'de> DeserializeSeed<'de> for SideSeed<'_, '_> {
    type Value = SideVal;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<SideVal, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SideSeed<'_, '_> {
    type Value = SideVal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of [price, size] levels or a price string for '{}'", self.name)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<SideVal, E> {
        let tick = self.ctx.tick;
        dec(tick, FieldName::Plain(self.name), &mut self.ctx.err).visit_str(v).map(SideVal::Price)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<SideVal, A::Error> {
        let SideSeed { ctx, bid, name } = self;
        let mut index = 0usize;
        while seq.next_element_seed(LevelSeed { ctx: &mut *ctx, bid, name, index })?.is_some() {
            index += 1;
        }
        Ok(SideVal::Levels)
    }
}

/// One `[price, size]` pair.
pub(super) struct LevelSeed<'m, 'c> {
    pub(super) ctx: &'m mut Ctx<'c>,
    pub(super) bid: bool,
    pub(super) name: &'static str,
    pub(super) index: usize,
}

impl<'de> DeserializeSeed<'de> for LevelSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LevelSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a [price, size] pair for {}[{}]", self.name, self.index)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let LevelSeed { ctx, bid, name, index } = self;
        let field = |what| FieldName::Level { side: name, index, what };
        let shape =
            |ctx: &mut Ctx<'_>| ctx.fail(LineError::Shape(format!("{name}[{index}] is not a [price, size] pair")));
        let tick = ctx.tick;
        let lot = ctx.lot;
        let Some(price) = seq.next_element_seed(dec(tick, field("price"), &mut ctx.err))? else {
            return Err(shape(ctx));
        };
        let Some(size) = seq.next_element_seed(dec(lot, field("size"), &mut ctx.err))? else {
            return Err(shape(ctx));
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(shape(ctx));
        }
        let level = Level { price, size };
        if bid {
            ctx.bids.push(level);
        } else {
            ctx.asks.push(level);
        }
        Ok(())
    }
}

/// A JSON object: the top level (envelope or snapshot) or the envelope's `data`.
pub(super) struct MsgSeed<'m, 'c, 'de> {
    pub(super) msg: &'m mut Msg<'de>,
    pub(super) ctx: &'m mut Ctx<'c>,
    pub(super) top: bool,
}

impl<'de> DeserializeSeed<'de> for MsgSeed<'_, '_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MsgSeed<'_, '_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(if self.top {
            "a JSON object (stream envelope or depth snapshot)"
        } else {
            "a JSON object for 'data'"
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let MsgSeed { msg, ctx, top } = self;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match (top, key) {
                (true, Key::Stream) => {
                    let CowStr(stream) = map.next_value()?;
                    let Some((sym, kind)) = classify(&stream) else {
                        return Err(ctx.fail(LineError::UnknownStream(stream.into_owned())));
                    };
                    if !sym.eq_ignore_ascii_case(ctx.symbol) {
                        return Err(ctx.fail(LineError::SymbolMismatch {
                            field: "stream symbol",
                            found: sym.to_owned(),
                            expected: ctx.symbol.to_owned(),
                        }));
                    }
                    put(&mut msg.kind, kind, "stream", ctx)?;
                    msg.stream = Some(stream);
                }
                (true, Key::Data) => {
                    if msg.has_data {
                        return Err(ctx.fail(LineError::Duplicate("data")));
                    }
                    msg.has_data = true;
                    map.next_value_seed(MsgSeed { msg: &mut *msg, ctx: &mut *ctx, top: false })?;
                }
                (true, Key::LastUpdateId) => {
                    let v = map.next_value()?;
                    put(&mut msg.last_update_id, v, "lastUpdateId", ctx)?;
                }
                (true, Key::Symbol) => {
                    let CowStr(v) = map.next_value()?;
                    put(&mut msg.snapshot_symbol, v, "symbol", ctx)?;
                }
                (true, Key::Bids) | (false, Key::LowerB) => {
                    let name = if top { "bids" } else { "b" };
                    if !matches!(msg.bid, SideVal::Absent) {
                        return Err(ctx.fail(LineError::Duplicate(name)));
                    }
                    msg.bid = map.next_value_seed(SideSeed { ctx: &mut *ctx, bid: true, name })?;
                }
                (true, Key::Asks) | (false, Key::LowerA) => {
                    let name = if top { "asks" } else { "a" };
                    if !matches!(msg.ask, SideVal::Absent) {
                        return Err(ctx.fail(LineError::Duplicate(name)));
                    }
                    msg.ask = map.next_value_seed(SideSeed { ctx: &mut *ctx, bid: false, name })?;
                }
                (_, Key::UpperE) => {
                    let v = map.next_value()?;
                    put(&mut msg.event_ms, v, "E", ctx)?;
                }
                (_, Key::UpperT) => {
                    let v = map.next_value()?;
                    put(&mut msg.transaction_ms, v, "T", ctx)?;
                }
                (false, Key::LowerE) => {
                    let CowStr(v) = map.next_value()?;
                    put(&mut msg.event, v, "e", ctx)?;
                }
                (false, Key::LowerS) => {
                    let CowStr(v) = map.next_value()?;
                    put(&mut msg.symbol, v, "s", ctx)?;
                }
                (false, Key::UpperU) => {
                    let v = map.next_value()?;
                    put(&mut msg.first_id, v, "U", ctx)?;
                }
                (false, Key::LowerU) => {
                    let v = map.next_value()?;
                    put(&mut msg.last_id, v, "u", ctx)?;
                }
                (false, Key::Pu) => {
                    let v = map.next_value()?;
                    put(&mut msg.prev_id, v, "pu", ctx)?;
                }
                (false, Key::LowerT) => {
                    let v = map.next_value()?;
                    put(&mut msg.trade_id, v, "t", ctx)?;
                }
                (false, Key::LowerM) => {
                    let v = map.next_value()?;
                    put(&mut msg.buyer_maker, v, "m", ctx)?;
                }
                (false, Key::LowerP) => {
                    let tick = ctx.tick;
                    let v = map.next_value_seed(dec(tick, FieldName::Plain("p"), &mut ctx.err))?;
                    put(&mut msg.price, v, "p", ctx)?;
                }
                (false, Key::LowerQ) => {
                    let lot = ctx.lot;
                    let v = map.next_value_seed(dec(lot, FieldName::Plain("q"), &mut ctx.err))?;
                    put(&mut msg.qty, v, "q", ctx)?;
                }
                (false, Key::UpperB) => {
                    let lot = ctx.lot;
                    let v = map.next_value_seed(dec(lot, FieldName::Plain("B"), &mut ctx.err))?;
                    put(&mut msg.bid_qty, v, "B", ctx)?;
                }
                (false, Key::UpperA) => {
                    let lot = ctx.lot;
                    let v = map.next_value_seed(dec(lot, FieldName::Plain("A"), &mut ctx.err))?;
                    put(&mut msg.ask_qty, v, "A", ctx)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

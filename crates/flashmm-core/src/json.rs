//! How the core writes JSON: exact integers that may pass 2⁵³ (money, ns) as decimal strings,
//! so JavaScript reads them with `BigInt` and never through a double.

/// `#[serde(with = "crate::json::int_str")]`: an integer as its decimal string.
pub mod int_str {
    use std::fmt::Display;
    use std::str::FromStr;

    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer, T: Display>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(|_| de::Error::custom(format!("expected an integer as a decimal string, got '{text}'")))
    }
}

/// `#[serde(with = "crate::json::opt_int_str")]`: an optional integer as its decimal string or `null`.
pub mod opt_int_str {
    use std::fmt::Display;

    use serde::Serializer;

    pub fn serialize<S: Serializer, T: Display>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }
}

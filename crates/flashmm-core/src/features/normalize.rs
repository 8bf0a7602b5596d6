//! Feature normalisation: z-scores with statistics fitted once on training data, stored
//! with the model (JSON) and applied unchanged while serving.

use serde::{Deserialize, Serialize};

use super::table::{N_FEATURES, feature_names};

/// Smallest standard deviation used: a feature (nearly) constant in training maps its
/// training value to 0 and any departure to a large value, which the clip bounds.
pub const DEFAULT_STD_FLOOR: f32 = 1e-3;
/// Normalised values are clipped to ±this.
pub const DEFAULT_CLIP: f32 = 10.0;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NormalizeError {
    #[error("cannot fit a normaliser on zero rows")]
    Empty,
    #[error("row {row}, feature {feature} ({name}) is not finite: {value}")]
    NotFinite { row: usize, feature: usize, name: &'static str, value: f32 },
    #[error("bad normaliser JSON: {0}")]
    Json(String),
    #[error("the normaliser was fitted on other features: {0}")]
    Features(String),
    #[error("feature {feature} ({name}): {what}")]
    Bad { feature: usize, name: &'static str, what: String },
}

/// `(x − mean)/std`, clipped to `±clip`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    /// The feature names it was fitted on, in order (checked on load).
    pub features: Vec<String>,
    #[serde(with = "array64")]
    pub mean: [f32; N_FEATURES],
    #[serde(with = "array64")]
    pub std: [f32; N_FEATURES],
    pub clip: f32,
}

impl Normalizer {
    /// Fits on rows with [`DEFAULT_STD_FLOOR`] and [`DEFAULT_CLIP`].
    pub fn fit(rows: &[[f32; N_FEATURES]]) -> Result<Self, NormalizeError> {
        Self::fit_with(rows, DEFAULT_STD_FLOOR, DEFAULT_CLIP)
    }

    /// Mean and population standard deviation per feature (two passes in f64), the standard
    /// deviation floored at `std_floor`.
    pub fn fit_with(rows: &[[f32; N_FEATURES]], std_floor: f32, clip: f32) -> Result<Self, NormalizeError> {
        if rows.is_empty() {
            return Err(NormalizeError::Empty);
        }
        let names = feature_names();
        let mut sum = [0f64; N_FEATURES];
        for (r, row) in rows.iter().enumerate() {
            for (i, &x) in row.iter().enumerate() {
                if !x.is_finite() {
                    return Err(NormalizeError::NotFinite { row: r, feature: i, name: names[i], value: x });
                }
                sum[i] += f64::from(x);
            }
        }
        let n = rows.len() as f64;
        let mean: [f64; N_FEATURES] = std::array::from_fn(|i| sum[i] / n);
        let mut ss = [0f64; N_FEATURES];
        for row in rows {
            for i in 0..N_FEATURES {
                let d = f64::from(row[i]) - mean[i];
                ss[i] += d * d;
            }
        }
        Ok(Self {
            features: names.iter().map(|s| s.to_string()).collect(),
            mean: std::array::from_fn(|i| mean[i] as f32),
            std: std::array::from_fn(|i| ((ss[i] / n).sqrt() as f32).max(std_floor)),
            clip,
        })
    }

    /// Normalises one row into `out` (no allocation). A non-finite input becomes 0.
    #[inline]
    pub fn apply(&self, x: &[f32; N_FEATURES], out: &mut [f32; N_FEATURES]) {
        for i in 0..N_FEATURES {
            let z = (x[i] - self.mean[i]) / self.std[i];
            out[i] = if z.is_finite() { z.clamp(-self.clip, self.clip) } else { 0.0 };
        }
    }

    #[inline]
    pub fn apply_in_place(&self, x: &mut [f32; N_FEATURES]) {
        let v = *x;
        self.apply(&v, x);
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a normaliser serialises")
    }

    /// Parses and checks: same feature names in the same order, finite means, positive
    /// finite standard deviations, a positive clip.
    pub fn from_json(s: &str) -> Result<Self, NormalizeError> {
        let n: Self = serde_json::from_str(s).map_err(|e| NormalizeError::Json(e.to_string()))?;
        n.check()?;
        Ok(n)
    }

    pub fn check(&self) -> Result<(), NormalizeError> {
        let names = feature_names();
        if self.features.len() != N_FEATURES {
            return Err(NormalizeError::Features(format!("{} names, expected {N_FEATURES}", self.features.len())));
        }
        if let Some(i) = (0..N_FEATURES).find(|&i| self.features[i] != names[i]) {
            return Err(NormalizeError::Features(format!(
                "feature {i} is '{}', this engine computes '{}'",
                self.features[i], names[i]
            )));
        }
        for (i, &name) in names.iter().enumerate() {
            if !self.mean[i].is_finite() {
                return Err(NormalizeError::Bad { feature: i, name, what: format!("mean {}", self.mean[i]) });
            }
            if !(self.std[i].is_finite() && self.std[i] > 0.0) {
                return Err(NormalizeError::Bad { feature: i, name, what: format!("std {}", self.std[i]) });
            }
        }
        if !(self.clip.is_finite() && self.clip > 0.0) {
            return Err(NormalizeError::Json(format!("clip must be positive, got {}", self.clip)));
        }
        Ok(())
    }
}

/// serde for `[f32; 64]` (serde's own impls stop at 32) as a JSON array of exactly 64.
mod array64 {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::N_FEATURES;

    pub fn serialize<S: Serializer>(v: &[f32; N_FEATURES], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[f32; N_FEATURES], D::Error> {
        let v = Vec::<f32>::deserialize(d)?;
        v.try_into().map_err(|v: Vec<f32>| D::Error::invalid_length(v.len(), &"64 numbers"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<[f32; N_FEATURES]> {
        (0..100).map(|r| std::array::from_fn(|i| if i == 5 { 3.0 } else { (r as f32) * 0.1 + i as f32 })).collect()
    }

    #[test]
    fn fits_applies_and_clips() {
        let n = Normalizer::fit(&rows()).unwrap();
        // Feature 0: values 0.0..9.9 step 0.1: mean 4.95, population std √((100²−1)/12)·0.1.
        assert!((n.mean[0] - 4.95).abs() < 1e-5);
        assert!((n.std[0] - (9999f32 / 12.0).sqrt() * 0.1).abs() < 1e-4);
        // Constant feature: std floored.
        assert_eq!((n.mean[5], n.std[5]), (3.0, DEFAULT_STD_FLOOR));
        let mut x = rows()[0];
        x[5] = 4.0; // 1000 floors away: clipped
        x[7] = f32::NAN;
        let mut out = [0.0; N_FEATURES];
        n.apply(&x, &mut out);
        assert!((out[0] - (0.0 - 4.95) / n.std[0]).abs() < 1e-6);
        assert_eq!(out[5], DEFAULT_CLIP);
        assert_eq!(out[7], 0.0);
    }

    #[test]
    fn json_round_trip_is_exact_and_checked() {
        let n = Normalizer::fit(&rows()).unwrap();
        let back = Normalizer::from_json(&n.to_json()).unwrap();
        assert_eq!(back, n);
        let mut v: serde_json::Value = serde_json::from_str(&n.to_json()).unwrap();
        v["features"][3] = "something_else".into();
        let err = Normalizer::from_json(&v.to_string()).unwrap_err();
        assert!(err.to_string().contains("feature 3 is 'something_else'"), "{err}");
        let mut v: serde_json::Value = serde_json::from_str(&n.to_json()).unwrap();
        v["std"].as_array_mut().unwrap().pop();
        assert!(Normalizer::from_json(&v.to_string()).unwrap_err().to_string().contains("64 numbers"));
        let mut v: serde_json::Value = serde_json::from_str(&n.to_json()).unwrap();
        v["std"][2] = 0.0.into();
        assert!(Normalizer::from_json(&v.to_string()).is_err());
    }

    #[test]
    fn rejects_non_finite_training_data() {
        let mut r = rows();
        r[17][9] = f32::INFINITY;
        assert!(matches!(Normalizer::fit(&r), Err(NormalizeError::NotFinite { row: 17, feature: 9, .. })));
        assert_eq!(Normalizer::fit(&[]), Err(NormalizeError::Empty));
    }
}

//! `Secp256k1Signer`: the core's secp256k1 key for JS. The mnemonic goes in once, as UTF-8
//! bytes the caller wipes afterwards; the private key never comes out (no getter, no
//! serialisation, `Debug` shows the public key only).

use flashmm_core::sign::{COSMOS_HD_PATH, Secp256k1Key};
use napi::bindgen_prelude::{Buffer, Uint8Array};
use napi_derive::napi;
use zeroize::Zeroizing;

use crate::convert::invalid_arg;

#[napi(js_name = "Secp256k1Signer")]
pub struct Secp256k1Signer {
    key: Secp256k1Key,
}

#[napi]
impl Secp256k1Signer {
    /// Derives the key of a BIP-39 mnemonic (UTF-8 bytes) at `hdPath` (default m/44'/118'/0'/0/0).
    /// Errors say what is wrong with the phrase, never what it was.
    #[napi(factory, catch_unwind)]
    pub fn from_mnemonic(mnemonic: Uint8Array, hd_path: Option<String>) -> crate::error::Result<Self> {
        let text = Zeroizing::new(
            std::str::from_utf8(&mnemonic).map_err(|_| invalid_arg("invalid mnemonic: not UTF-8 text"))?.to_owned(),
        );
        let path = hd_path.as_deref().unwrap_or(COSMOS_HD_PATH);
        Secp256k1Key::from_mnemonic(&text, path).map(|key| Self { key }).map_err(invalid_arg)
    }

    /// The compressed public key (33 bytes).
    #[napi(getter, catch_unwind)]
    pub fn public_key(&self) -> Buffer {
        Buffer::from(self.key.public_key().to_vec())
    }

    /// `r ‖ s` (64 bytes) over SHA-256 of `signBytes` (a Cosmos SignDoc, encoded).
    #[napi(catch_unwind)]
    pub fn sign(&self, sign_bytes: Uint8Array) -> Buffer {
        Buffer::from(self.key.sign(&sign_bytes).to_vec())
    }
}

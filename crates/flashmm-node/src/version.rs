use napi_derive::napi;

/// Version of the Rust core (`flashmm-core`) this addon was built from.
#[napi(catch_unwind)]
pub fn core_version() -> &'static str {
    flashmm_core::VERSION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_version_is_the_core_crate_version() {
        assert_eq!(core_version(), flashmm_core::VERSION);
        assert!(!core_version().is_empty());
    }
}

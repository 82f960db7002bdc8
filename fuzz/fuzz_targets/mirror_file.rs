//! Fuzz target `mirror_file`: the properties live in the library (`src/fuzz.rs`).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| generic_credential_provider::fuzz::mirror_file(data));

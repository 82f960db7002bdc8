//! Arbitrary bytes as a Docker `config.json`: never a panic; every imported
//! target is canonical (it parses as itself and normalizes to itself), no two
//! imported entries share a target, an entry has a credential exactly when it
//! is imported, and an imported credential written back as a one-entry
//! config's `auth` decodes to the same target, username and password.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| generic_credential_provider::fuzz::docker_config(data));

//! Arbitrary bytes as a service-account token: never a panic; an accepted
//! token's namespace and name pass their validators again and are safe path
//! components; no error message holds the payload or quotes anything.
//!
//! The first byte chooses the shape: bit 0 clear, the rest is the token as
//! the kubelet would send it; bit 0 set, the rest is the payload, put
//! between a real header and a dummy signature (so the fuzzer reaches the
//! claim rules without having to invent base64). Bit 1 asks for the audience
//! `registry.example.org`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| generic_credential_provider::fuzz::token(data));

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

use generic_credential_provider::base64::{Alphabet, Padding, decode};
use generic_credential_provider::token::{Namespace, ServiceAccountName, claims};
use libfuzzer_sys::fuzz_target;

const NOW: u64 = 1_767_225_600;
const AUDIENCE: &str = "registry.example.org";
/// `{"alg":"RS256","kid":"k"}`.
const HEADER: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ";
const SIGNATURE: &str = "c2lnbmF0dXJl";
/// Shortest payload checked against messages.
const MIN_CHECKED: usize = 8;

fn base64url(bytes: &[u8]) -> String {
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(char::from(URL[(acc >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let audience = (mode & 2 != 0).then_some(AUDIENCE);
    let (token, payload): (Vec<u8>, Option<Vec<u8>>) = if mode & 1 == 0 {
        let payload = rest
            .split(|&b| b == b'.')
            .nth(1)
            .and_then(|p| decode(p, Alphabet::UrlSafe, Padding::Forbidden, usize::MAX).ok())
            .map(|s| s.as_bytes().to_vec());
        (rest.to_vec(), payload)
    } else {
        let token = format!("{HEADER}.{}.{SIGNATURE}", base64url(rest));
        (token.into_bytes(), Some(rest.to_vec()))
    };
    match claims(&token, NOW, audience) {
        Ok(c) => {
            let ns = c.namespace().as_str();
            let name = c.service_account().as_str();
            assert_eq!(Namespace::parse(ns).as_ref(), Some(c.namespace()));
            assert_eq!(
                ServiceAccountName::parse(name).as_ref(),
                Some(c.service_account())
            );
            assert!((1..=63).contains(&ns.len()));
            assert!(
                ns.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert!(name.len() <= 253 && name != "." && name != "..");
            assert!(!name.contains(['/', '\0']) && !name.split('.').any(str::is_empty));
            if let Some(exp) = c.expires_at() {
                assert!(exp + 60 >= NOW);
            }
        }
        Err(e) => {
            let text = e.to_string();
            // Nothing is quoted: a message has neither braces nor double quotes.
            assert!(!text.contains(['{', '"']), "{text}");
            // The payload (every JSON object payload, that is: it has a brace)
            // is never in a message. A payload of plain words could be a
            // message's words by chance, so those are not checked.
            let checked = |p: &[u8]| {
                p.len() >= MIN_CHECKED
                    && p.iter()
                        .any(|&b| matches!(b, b'{' | b'"') || !(b' '..=b'~').contains(&b))
            };
            if let Some(payload) = payload.filter(|p| checked(p)) {
                let p = String::from_utf8_lossy(&payload);
                assert!(!text.contains(p.as_ref()), "{text}");
            }
        }
    }
});

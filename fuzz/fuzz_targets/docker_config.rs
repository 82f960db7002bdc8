//! Arbitrary bytes as a Docker `config.json`: never a panic; every imported
//! target is canonical (it parses as itself and normalizes to itself), no two
//! imported entries share a target, an entry has a credential exactly when it
//! is imported, and an imported credential written back as a one-entry
//! config's `auth` decodes to the same target, username and password.
#![no_main]

use generic_credential_provider::dockerconfig::{Target, decode};
use libfuzzer_sys::fuzz_target;

fn base64(bytes: &[u8]) -> String {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(char::from(STD[(acc >> (18 - 6 * i) & 63) as usize]));
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Ok(config) = decode(data) else { return };
    let mut seen: Vec<&str> = Vec::new();
    for entry in &config.entries {
        assert_eq!(entry.target.is_ok(), entry.credential.is_some());
        let (Ok(target), Some((user, pass))) = (&entry.target, &entry.credential) else {
            continue;
        };
        assert!(
            !seen.contains(&target.as_str()),
            "{} twice",
            target.as_str()
        );
        seen.push(target.as_str());
        assert_eq!(Target::parse(target.as_str()).as_ref(), Ok(target));
        assert_eq!(
            Target::from_docker_key(target.as_str()).as_ref(),
            Ok(target)
        );
        assert!(!target.as_str().contains(['"', '\\', ' ', '\0']));
        let (u, p) = (user.as_bytes(), pass.as_bytes());
        assert!(std::str::from_utf8(u).is_ok() && std::str::from_utf8(p).is_ok());
        // `auth` splits at the first ':', so a username with one cannot
        // round-trip; the kubelet would read it the same way.
        if u.contains(&b':') {
            continue;
        }
        let mut plain = u.to_vec();
        plain.push(b':');
        plain.extend_from_slice(p);
        let again = format!(
            r#"{{"auths":{{"{}":{{"auth":"{}"}}}}}}"#,
            target.as_str(),
            base64(&plain)
        );
        let back = decode(again.as_bytes()).expect("a written-back config decodes");
        let [one] = back.entries.as_slice() else {
            panic!("one entry")
        };
        assert_eq!(one.target.as_ref(), Ok(target));
        let (u2, p2) = one.credential.as_ref().expect("imported again");
        assert_eq!((u2.as_bytes(), p2.as_bytes()), (u, p));
    }
});

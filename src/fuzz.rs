//! The fuzz targets' entry points (built only under cargo-fuzz's
//! `--cfg fuzzing`): each takes libFuzzer's bytes, drives one input boundary
//! and asserts its properties, so the targets in `fuzz/` stay three lines and
//! the library keeps its surface `pub(crate)`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a fuzz property that does not hold must crash the target"
)]

use crate::answer::repository_key;
use crate::base64::{Alphabet, Padding, decode};
use crate::credfile::{self, Credential};
use crate::dockerconfig::{self, Target};
use crate::duration::Duration;
use crate::matcher::{answer_matches, glob_match, parse_schemeless, urls_match_str};
use crate::reference::{parse, parse_normalized_named};
use crate::request::{self, ApiVersion};
use crate::response::{AuthEntry, CacheKeyType, DecodedAuth, Response, kubelet_decode, write};
use crate::secret::Secret;
use crate::token::{Namespace, ServiceAccountName, claims};
use crate::yaml::{MAX_NOTES, parse_with_notes};
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use miniserde::json::{Number, Value};

/// `image_reference`: `Parse` prints back its input; normalized references
/// make safe file names and print to themselves.
pub fn image_reference(data: &[u8]) {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(raw) = parse(s) {
        assert_eq!(raw.to_string(), s, "Parse must print back its input");
    }
    let Ok(r) = parse_normalized_named(s) else {
        return;
    };
    if let Some(domain) = r.domain() {
        assert!(!domain.as_str().contains(['/', '\0']));
        for stem in [Some(domain.file_stem()), domain.wildcard_stem()]
            .into_iter()
            .flatten()
        {
            assert!(
                !stem.contains(['/', '\0']) && stem != "." && stem != "..",
                "{stem:?}"
            );
        }
    }
    for component in r.path().components() {
        assert!(!component.is_empty() && component != "." && component != "..");
        assert!(!component.contains(['/', '\0']));
    }
    let printed = r.to_string();
    assert_eq!(
        parse(&printed).as_ref(),
        Ok(&r),
        "printed form must parse to the same parts"
    );
    assert_eq!(
        parse_normalized_named(&printed).as_ref(),
        Ok(&r),
        "normalization must be idempotent"
    );
}

/// `request`: a decoded request has one of the three versions and an image
/// whose name normalizes to itself.
pub fn request(data: &[u8]) {
    let Ok(request) = request::decode(data) else {
        return;
    };
    assert!(ApiVersion::ALL.contains(&request.api_version));
    let name = request.image.name();
    assert_eq!(parse_normalized_named(&name).map(|r| r.name()), Ok(name));
}

/// `credential_file`: every file the decoder accepts gives an answer the
/// kubelet's strict decoder accepts, with the same username and password.
pub fn credential_file(data: &[u8]) {
    let Ok(credential) = credfile::decode(data) else {
        return;
    };
    let answer = Response {
        api_version: ApiVersion::V1,
        cache_key_type: CacheKeyType::Registry,
        cache_duration: credential.duration.unwrap_or(Duration::FIVE_MINUTES),
        auth: &[AuthEntry {
            key: "registry.example.org",
            credential: &credential,
        }],
    };
    let bytes = write(&answer).expect("the buffer is sized for the worst case");
    let auth = kubelet_decode(bytes.as_bytes()).expect("the kubelet must accept every answer");
    assert_eq!(auth.len(), 1);
    let entry = &auth[0];
    assert_eq!(entry.key, "registry.example.org");
    assert_eq!(entry.username.as_bytes(), credential.username.as_bytes());
    assert_eq!(entry.password.as_bytes(), credential.password.as_bytes());
}

/// `duration`: every duration parsed prints to a string that parses back to it.
pub fn duration(data: &[u8]) {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(d) = Duration::parse(s) else { return };
    let printed = d.to_string();
    assert_eq!(
        Duration::parse(&printed),
        Ok(d),
        "{s:?} printed as {printed:?}"
    );
}

/// `response`: any key, username, password, version, cache type and
/// duration make one line of JSON the kubelet accepts, with exactly those values.
pub fn response(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = core::str::from_utf8(rest) else {
        return;
    };
    let mut parts = text.splitn(3, '\u{0}');
    let (key, username, password) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let api_version = ApiVersion::ALL[usize::from(selector % 3)];
    let credential = Credential {
        username: Secret::from_string(username.to_owned()),
        password: Secret::from_string(password.to_owned()),
        duration: None,
    };
    let cache_key_type = if selector & 4 == 0 {
        CacheKeyType::Registry
    } else {
        CacheKeyType::Image
    };
    let nanos = u64::from_le_bytes(
        rest.get(..8)
            .and_then(|b| b.try_into().ok())
            .unwrap_or([0; 8]),
    ) >> 1;
    let entry = [AuthEntry {
        key,
        credential: &credential,
    }];
    let answer = Response {
        api_version,
        cache_key_type,
        cache_duration: Duration::from_nanos(nanos).unwrap(),
        auth: if selector & 8 == 0 { &entry } else { &[] },
    };
    let bytes = write(&answer).expect("the buffer is sized for the worst case");
    let text = core::str::from_utf8(bytes.as_bytes()).expect("UTF-8 in, UTF-8 out");
    assert!(
        text.ends_with("}\n") && text.matches('\n').count() == 1,
        "one line: {text:?}"
    );
    let auth = kubelet_decode(bytes.as_bytes()).expect("the kubelet must accept every answer");
    let value: miniserde::json::Value = miniserde::json::from_str(text).unwrap();
    let miniserde::json::Value::Object(top) = value else {
        panic!("not an object")
    };
    let field = |k: &str| match top.get(k) {
        Some(miniserde::json::Value::String(s)) => s.clone(),
        other => panic!("{k}: {other:?}"),
    };
    assert_eq!(field("kind"), "CredentialProviderResponse");
    assert_eq!(field("apiVersion"), api_version.as_str());
    assert_eq!(field("cacheKeyType"), cache_key_type.as_str());
    assert_eq!(
        Duration::parse(&field("cacheDuration")),
        Ok(answer.cache_duration)
    );
    if !answer.auth.is_empty() {
        assert_eq!(top.len(), 5);
        let want = DecodedAuth {
            key: key.to_owned(),
            username: username.to_owned(),
            password: password.to_owned(),
        };
        assert_eq!(auth, vec![want]);
    } else {
        assert_eq!(top.len(), 4);
        assert!(auth.is_empty());
    }
}

/// `matcher`: the matcher never panics, and every key the plugin would
/// answer with matches its image under the kubelet's matcher.
pub fn matcher(data: &[u8]) {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    let (a, b) = s.split_once('\u{0}').unwrap_or((s, s));
    let _ = urls_match_str(a, b);
    let _ = glob_match(a, b);
    let Ok(image) = parse_normalized_named(a) else {
        return;
    };
    let name = image.name();
    let Some(domain) = image.domain() else { return };
    if domain.host().starts_with('[')
        && (domain.port().is_none() || parse_schemeless(domain.as_str().as_bytes()).is_err())
    {
        // Without a port the kubelet reads these brackets as a glob class;
        // around anything but an IPv6 address (`[a]:1`, which the reference
        // grammar allows) Go >= 1.24.8 refuses them. Nothing matches, and the
        // plugin's self-check refuses (regression corpus entries).
        assert!(!answer_matches(domain.as_str(), &name));
        return;
    }
    assert!(
        answer_matches(domain.as_str(), &name),
        "host key {:?} vs {name:?}",
        domain.as_str()
    );
    let key = repository_key(domain, image.path());
    assert!(
        answer_matches(&key, &name),
        "repository key {key:?} vs {name:?}"
    );
}

const TOKEN_NOW: u64 = 1_767_225_600;
const TOKEN_AUDIENCE: &str = "registry.example.org";
/// `{"alg":"RS256","kid":"k"}`.
const TOKEN_HEADER: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ";
const TOKEN_SIGNATURE: &str = "c2lnbmF0dXJl";
/// Shortest payload checked against messages.
const TOKEN_MIN_CHECKED: usize = 8;

/// Base64 of `bytes` in `alphabet`, `=`-padded when `padded` (the fuzz
/// targets build inputs with it; the library only decodes).
fn base64_encode(bytes: &[u8], alphabet: &[u8; 64], padded: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(acc >> (18 - 6 * i) & 63) as usize]));
        }
        if padded {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

fn base64url(bytes: &[u8]) -> String {
    base64_encode(
        bytes,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        false,
    )
}

/// `token`: arbitrary bytes as a service-account token (see fuzz/README.md
/// for the input shape): never a panic, accepted claims are valid, and no
/// message quotes the payload.
pub fn token(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let audience = (mode & 2 != 0).then_some(TOKEN_AUDIENCE);
    let (token, payload): (Vec<u8>, Option<Vec<u8>>) = if mode & 1 == 0 {
        let payload = rest
            .split(|&b| b == b'.')
            .nth(1)
            .and_then(|p| decode(p, Alphabet::UrlSafe, Padding::Forbidden, usize::MAX).ok())
            .map(|s| s.as_bytes().to_vec());
        (rest.to_vec(), payload)
    } else {
        let token = format!("{TOKEN_HEADER}.{}.{TOKEN_SIGNATURE}", base64url(rest));
        (token.into_bytes(), Some(rest.to_vec()))
    };
    match claims(&token, TOKEN_NOW, audience) {
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
                assert!(exp + 60 >= TOKEN_NOW);
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
                p.len() >= TOKEN_MIN_CHECKED
                    && p.iter()
                        .any(|&b| matches!(b, b'{' | b'"') || !(b' '..=b'~').contains(&b))
            };
            if let Some(payload) = payload.filter(|p| checked(p)) {
                let p = String::from_utf8_lossy(&payload);
                assert!(!text.contains(p.as_ref()), "{text}");
            }
        }
    }
}

fn base64_standard(bytes: &[u8]) -> String {
    base64_encode(
        bytes,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        true,
    )
}

/// `docker_config`: arbitrary bytes as a Docker `config.json`: imported
/// targets are canonical and distinct, and an imported credential written
/// back decodes to the same one.
pub fn docker_config(data: &[u8]) {
    let Ok(config) = dockerconfig::decode(data) else {
        return;
    };
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
        // As a Docker key, a path that starts with `v1/` or `v2/` needs the
        // API prefix in front, which the kubelet (and import) drop again
        // (the corpus entry regression-v2-then-v1-path).
        let key = match target.path() {
            Some(path) if path.starts_with("v1/") || path.starts_with("v2/") => {
                format!("{}/v1/{path}", target.host())
            }
            _ => target.as_str().to_owned(),
        };
        assert_eq!(Target::from_docker_key(&key).as_ref(), Ok(target));
        assert!(!target.as_str().contains(['"', '\\', ' ', '\0']));
        let (u, p) = (user.as_bytes(), pass.as_bytes());
        assert!(core::str::from_utf8(u).is_ok() && core::str::from_utf8(p).is_ok());
        // `auth` splits at the first ':', so a username with one cannot
        // round-trip; the kubelet would read it the same way.
        if u.contains(&b':') {
            continue;
        }
        let mut plain = u.to_vec();
        plain.push(b':');
        plain.extend_from_slice(p);
        let again = format!(
            r#"{{"auths":{{"{key}":{{"auth":"{}"}}}}}}"#,
            base64_standard(&plain)
        );
        let back = dockerconfig::decode(again.as_bytes()).expect("a written-back config decodes");
        let [one] = back.entries.as_slice() else {
            panic!("one entry")
        };
        assert_eq!(one.target.as_ref(), Ok(target));
        let (u2, p2) = one.credential.as_ref().expect("imported again");
        assert_eq!((u2.as_bytes(), p2.as_bytes()), (u, p));
    }
}

/// `yaml`: any text as a YAML kubelet config: never a panic, at most
/// `MAX_NOTES` notes, and an input that is also JSON reads as the JSON path
/// reads it (numbers by value: miniserde's float parsing is not exactly rounded).
pub fn yaml(data: &[u8]) {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok((yaml, notes)) = parse_with_notes(text) else {
        return;
    };
    assert!(notes.len() <= MAX_NOTES);
    if let Ok(json) = miniserde::json::from_str::<Value>(text) {
        assert!(same_value(&yaml, &json), "YAML {yaml:?} but JSON {json:?}");
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        _ => false,
    }
}

fn same_number(x: &Number, y: &Number) -> bool {
    let int = |n: &Number| match n {
        Number::U64(u) => Some(i128::from(*u)),
        Number::I64(i) => Some(i128::from(*i)),
        Number::F64(_) => None,
    };
    let float = |n: &Number| match n {
        Number::U64(u) => *u as f64,
        Number::I64(i) => *i as f64,
        Number::F64(f) => *f,
    };
    if let (Some(a), Some(b)) = (int(x), int(y)) {
        return a == b;
    }
    let (a, b) = (float(x), float(y));
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || (a.abs() < 1e-300 && b.abs() < 1e-300)
}

/// `mirror_file`: any bytes as a mirror file for `docker.io`: never a panic;
/// an accepted file names a valid registry other than the upstream, and no
/// message quotes an unknown key.
pub fn mirror_file(data: &[u8]) {
    let upstream = crate::reference::Domain::parse("docker.io").unwrap();
    match crate::mirror::decode(data, &upstream) {
        Ok(m) => {
            assert!(crate::reference::Domain::parse(m.mirror.as_str()).is_some());
            assert_ne!(m.mirror.file_stem(), upstream.file_stem());
            assert!(matches!(
                m.then.as_str(),
                "upstream" | "anonymous" | "nothing"
            ));
        }
        Err(e) => {
            // Excerpts are cut to 64 characters, each at most 10 bytes escaped.
            let text = e.to_string();
            assert!(text.len() < 64 * 10 + 200, "{text}");
            assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)), "{text}");
        }
    }
}

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
use crate::credfile::{self, Credential};
use crate::duration::Duration;
use crate::matcher::{answer_matches, glob_match, urls_match_str};
use crate::reference::{parse, parse_normalized_named};
use crate::request::{self, ApiVersion};
use crate::response::{AuthEntry, CacheKeyType, DecodedAuth, Response, kubelet_decode, write};
use crate::secret::Secret;
use alloc::borrow::ToOwned;
use alloc::string::ToString;
use alloc::vec;

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
        auth: Some(AuthEntry {
            key: "registry.example.org",
            credential: &credential,
        }),
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
    let answer = Response {
        api_version,
        cache_key_type,
        cache_duration: Duration::from_nanos(nanos).unwrap(),
        auth: (selector & 8 == 0).then_some(AuthEntry {
            key,
            credential: &credential,
        }),
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
    if answer.auth.is_some() {
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
    if domain.host().starts_with('[') && domain.port().is_none() {
        // The kubelet reads these brackets as a glob class: nothing matches,
        // and the plugin's self-check refuses (regression corpus entry).
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

//! Registry mirrors: `mirrors/<upstream>.json` in any scope says that pulls
//! of the upstream's images go through a mirror, whose own credentials the
//! answer carries first; `then` says what follows them. The kubelet asks for
//! the image's own name and tries every matching `auth` entry in
//! reverse-sorted key order; containerd offers those credentials to every
//! host of the image's `hosts.toml`, the mirror included. So the mirror's
//! entry gets the upstream's own key (which sorts first) and the `then` entry
//! the upstream with every DNS label globbed (`*` sorts before every letter,
//! digit and `[`), and both match the image.
//!
//! `{"mirror": "mirror.internal:5000", "then": "upstream"}`, decoded as
//! strictly as a credential file: exactly these two keys, both strings.

use crate::error::Escaped;
use crate::json::{self, Lookup, Value};
use crate::reference::Domain;
use alloc::string::String;
use core::fmt;

/// The directory of mirror files in a scope. It can never be a registry
/// name (no dot, colon or `localhost`).
pub(crate) const MIRRORS_DIR: &str = "mirrors";

const MIRROR: &str = "mirror";
const THEN: &str = "then";

/// What follows the mirror's credentials in the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// The upstream's own credentials (found by the normal lookup), if any.
    Upstream,
    /// An empty username and password: the kubelet then pulls without
    /// credentials when the mirror's are refused.
    Anonymous,
    /// Nothing: only the mirror's credentials.
    Nothing,
}

impl Then {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "upstream" => Some(Self::Upstream),
            "anonymous" => Some(Self::Anonymous),
            "nothing" => Some(Self::Nothing),
            _ => None,
        }
    }

    /// The word as written in the file.
    #[cfg(fuzzing)]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Upstream => "upstream",
            Self::Anonymous => "anonymous",
            Self::Nothing => "nothing",
        }
    }
}

/// A decoded mirror file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MirrorFile {
    /// The mirror's registry (`host[:port]`, as written).
    pub(crate) mirror: Domain,
    /// What follows its credentials.
    pub(crate) then: Then,
}

/// What is wrong with a mirror file. Only known keys are named; an unknown
/// key by position and length (a mirror file holds no secret, but one pasted
/// by mistake could).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MirrorError {
    /// Not one JSON object.
    NotObject,
    /// A key other than `mirror` and `then`.
    UnknownKey {
        /// Its 1-based position.
        position: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// A key given twice.
    DuplicateKey(&'static str),
    /// A key absent.
    MissingKey(&'static str),
    /// A value that is not a string.
    NotAString(&'static str),
    /// `mirror` is no registry `host[:port]` (the excerpt found).
    BadMirror(String),
    /// `then` is none of the three words (the excerpt found).
    BadThen(String),
    /// The mirror is the upstream itself.
    MirrorIsUpstream,
}

impl fmt::Display for MirrorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotObject => f.write_str("must hold one JSON object"),
            Self::UnknownKey { position, len } => write!(
                f,
                "has an unknown key (key {position}, {len} bytes); the keys are mirror and then"
            ),
            Self::DuplicateKey(key) => write!(f, "has the key \"{key}\" more than once"),
            Self::MissingKey(key) => write!(f, "has no key \"{key}\""),
            Self::NotAString(key) => write!(f, "has a \"{key}\" that is not a string"),
            Self::BadMirror(found) => write!(
                f,
                "has a \"mirror\" \"{}\" that is no registry host[:port] (no scheme, no path)",
                Escaped(found)
            ),
            Self::BadThen(found) => write!(
                f,
                "has a \"then\" \"{}\"; it must be upstream, anonymous or nothing",
                Escaped(found)
            ),
            Self::MirrorIsUpstream => f.write_str("names the upstream itself as its mirror"),
        }
    }
}

/// A mirror file that is refused, with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MirrorFileError {
    /// The path.
    pub(crate) path: String,
    /// Why.
    pub(crate) problem: MirrorError,
}

impl fmt::Display for MirrorFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", Escaped(&self.path), self.problem)
    }
}

/// Decodes a mirror file for `upstream`.
pub(crate) fn decode(bytes: &[u8], upstream: &Domain) -> Result<MirrorFile, MirrorError> {
    let text = core::str::from_utf8(bytes).map_err(|_| MirrorError::NotObject)?;
    let Some(Value::Object(object)) = json::parse(text) else {
        return Err(MirrorError::NotObject);
    };
    for (position, (key, _)) in object.members().enumerate() {
        if key != MIRROR && key != THEN {
            return Err(MirrorError::UnknownKey {
                position: position + 1,
                len: key.len(),
            });
        }
    }
    let string = |key: &'static str| match object.get(key) {
        Lookup::Absent => Err(MirrorError::MissingKey(key)),
        Lookup::Duplicate => Err(MirrorError::DuplicateKey(key)),
        Lookup::One(v) => v.as_str().ok_or(MirrorError::NotAString(key)),
    };
    let (mirror_text, then_text) = (string(MIRROR)?, string(THEN)?);
    let excerpt = |s: &str| crate::error::truncated(s);
    let mirror =
        Domain::parse(mirror_text).ok_or_else(|| MirrorError::BadMirror(excerpt(mirror_text)))?;
    let then = Then::parse(then_text).ok_or_else(|| MirrorError::BadThen(excerpt(then_text)))?;
    if mirror.file_stem() == upstream.file_stem() {
        return Err(MirrorError::MirrorIsUpstream);
    }
    Ok(MirrorFile { mirror, then })
}

/// The upstream with every DNS label (or IPv4 octet) a `*`, its port kept:
/// a key that matches every image of the upstream under the kubelet's
/// matcher and sorts after the upstream's own key. `None` for an IPv6
/// literal, whose brackets the matcher cannot glob.
pub(crate) fn globbed(upstream: &Domain) -> Option<String> {
    let host = upstream.host();
    if host.starts_with('[') {
        return None;
    }
    let mut key = String::with_capacity(upstream.as_str().len());
    for (i, _) in host.split('.').enumerate() {
        if i > 0 {
            key.push('.');
        }
        key.push('*');
    }
    if let Some(port) = upstream.port() {
        key.push(':');
        key.push_str(port);
    }
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Domain {
        Domain::parse("docker.io").unwrap()
    }

    #[test]
    fn miri_decodes_each_then_and_refuses_naming_the_key() {
        let m = decode(
            br#"{"mirror":"mirror.internal:5000","then":"upstream"}"#,
            &hub(),
        )
        .unwrap();
        assert_eq!(m.mirror.as_str(), "mirror.internal:5000");
        assert_eq!(m.then, Then::Upstream);
        for (text, then) in [("anonymous", Then::Anonymous), ("nothing", Then::Nothing)] {
            let body = alloc::format!(r#"{{"then":"{text}","mirror":"m.io"}}"#);
            assert_eq!(decode(body.as_bytes(), &hub()).unwrap().then, then);
        }
        let cases: &[(&[u8], MirrorError)] = &[
            (br#"{"mirror":"m.io"}"#, MirrorError::MissingKey("then")),
            (
                br#"{"mirror":"m.io","then":"upstream","then":"nothing"}"#,
                MirrorError::DuplicateKey("then"),
            ),
            (
                br#"{"mirror":"m.io","then":"upstream","s3cr3t":"x"}"#,
                MirrorError::UnknownKey {
                    position: 3,
                    len: 6,
                },
            ),
            (
                br#"{"mirror":5,"then":"upstream"}"#,
                MirrorError::NotAString("mirror"),
            ),
            (
                br#"{"mirror":"https://m.io","then":"upstream"}"#,
                MirrorError::BadMirror("https://m.io".into()),
            ),
            (
                br#"{"mirror":"m.io/path","then":"upstream"}"#,
                MirrorError::BadMirror("m.io/path".into()),
            ),
            (
                br#"{"mirror":"m.io","then":"Upstream"}"#,
                MirrorError::BadThen("Upstream".into()),
            ),
            (
                br#"{"mirror":"Docker.io","then":"nothing"}"#,
                MirrorError::MirrorIsUpstream,
            ),
            (br#"["m.io"]"#, MirrorError::NotObject),
            (b"", MirrorError::NotObject),
        ];
        for (bytes, want) in cases {
            assert_eq!(
                decode(bytes, &hub()).as_ref(),
                Err(want),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn miri_globbed_keeps_the_label_count_and_the_port() {
        let g = |s: &str| globbed(&Domain::parse(s).unwrap());
        assert_eq!(g("docker.io").as_deref(), Some("*.*"));
        assert_eq!(
            g("registry.example.org:5000").as_deref(),
            Some("*.*.*:5000")
        );
        assert_eq!(g("10.0.0.1:5000").as_deref(), Some("*.*.*.*:5000"));
        assert_eq!(g("localhost").as_deref(), Some("*"));
        assert_eq!(g("[::1]:5000"), None);
        assert!("*.*" < "docker.io" && "*.*.*.*:5000" < "10.0.0.1:5000");
    }
}

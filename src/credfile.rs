//! Strict decoding of a credential file: one JSON object with string
//! `username` and `password` (either may be empty) and an optional
//! `duration`. An operator's typo (`"pasword"`), a key given twice or a value
//! of another type is refused, naming the file and the key and never a value.
//! An unknown key is quoted only when it is a near miss of a known one: a
//! key can be content (a `{"robot$pull": "s3cr3t"}` map, a pasted token).
//!
//! miniserde's derive ignores unknown keys and lets the last duplicate win, so
//! the file is read as a `json` tree (every member in order, duplicates
//! kept, strings as secrets) and walked by hand: a wrong type is reported as
//! such rather than as broken JSON.

use crate::duration::{Duration, DurationError};
use crate::error::Escaped;
use crate::json::{self, Value};
use crate::secret::Secret;
use alloc::string::String;
use core::fmt;

/// What is wrong with the contents of a credential file. Only known keys are
/// named; values, and unknown keys that are not near misses, never are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DecodeError {
    /// No bytes at all: most often a file caught between truncation and write.
    Empty,
    /// Not valid UTF-8.
    NotUtf8,
    /// Not valid JSON.
    NotJson,
    /// Valid JSON, but not one object.
    NotObject,
    /// A key that is none of the three but within two edits of one.
    NearMiss {
        /// The key found (short: it is within two edits of a known key).
        found: String,
        /// The key it resembles.
        meant: &'static str,
    },
    /// Any other unknown key: its position and length only.
    UnknownKey {
        /// Its 1-based position among the object's keys.
        position: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// A key given twice.
    DuplicateKey(&'static str),
    /// A key whose value is not a string.
    NotAString(&'static str),
    /// A required key that is absent.
    MissingKey(&'static str),
    /// A `duration` that is not a valid, non-negative Go duration.
    BadDuration(DurationError),
}

/// A credential file whose contents are unusable, with its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentError {
    /// The path.
    pub(crate) path: String,
    /// Why.
    pub(crate) problem: DecodeError,
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = Escaped(&self.path);
        match &self.problem {
            DecodeError::Empty => write!(
                f,
                "{p} is empty; write credentials to a temporary file and rename it over the name (or use put), so a reader never sees it half-written"
            ),
            DecodeError::NotUtf8 => write!(f, "{p} is not valid UTF-8"),
            DecodeError::NotJson => write!(f, "{p} is not valid JSON"),
            DecodeError::NotObject => write!(f, "{p} must hold one JSON object"),
            DecodeError::NearMiss { found, meant } => write!(
                f,
                "{p} has an unknown key \"{}\" (did you mean \"{meant}\"?); the keys are username, password and duration",
                Escaped(found)
            ),
            DecodeError::UnknownKey { position, len } => write!(
                f,
                "{p} has an unknown key (key {position}, {len} bytes, not shown: it may be content); the keys are username, password and duration"
            ),
            DecodeError::DuplicateKey(key) => write!(f, "{p} has the key \"{key}\" more than once"),
            DecodeError::NotAString(key) => {
                write!(f, "{p}: the value of \"{key}\" must be a string")
            }
            DecodeError::MissingKey(key) => write!(f, "{p} has no key \"{key}\""),
            DecodeError::BadDuration(reason) => {
                write!(f, "{p}: the value of \"duration\" {reason}")
            }
        }
    }
}

/// How many single-character edits make an unknown key a near miss.
const NEAR_MISS_EDITS: usize = 2;

/// The known key `key` is a near miss of, if any: within
/// [`NEAR_MISS_EDITS`] insertions, deletions or substitutions (Levenshtein,
/// bounded, so a long key costs nothing).
fn near_miss(key: &str) -> Option<&'static str> {
    [USERNAME, PASSWORD, DURATION]
        .into_iter()
        .find(|known| within_edits(key.as_bytes(), known.as_bytes(), NEAR_MISS_EDITS))
}

fn within_edits(a: &[u8], b: &[u8], max: usize) -> bool {
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    // One row of the edit-distance table; keys compared here are short (the
    // length check above bounds `a` by the known key's length plus two).
    let mut row: alloc::vec::Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let Some(first) = row.first_mut() else {
            return false;
        };
        *first = i + 1;
        for j in 0..b.len() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let cost = usize::from(b.get(j) != Some(&ca));
            let value = (diagonal + cost).min(above + 1).min(left + 1);
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().is_some_and(|&d| d <= max)
}

/// A decoded credential. The username and password are secrets: they are
/// wiped when this is dropped and have no `Debug` or `Display` of their own.
#[derive(Debug)]
pub(crate) struct Credential {
    /// `username`, possibly empty.
    pub(crate) username: Secret,
    /// `password`, possibly empty.
    pub(crate) password: Secret,
    /// `duration`, if the file sets one.
    pub(crate) duration: Option<Duration>,
}

impl Credential {
    /// An empty username and password: the `anonymous` entry after a
    /// mirror's, with which the kubelet pulls without credentials.
    pub(crate) fn empty() -> Self {
        Self {
            username: Secret::with_capacity(0),
            password: Secret::with_capacity(0),
            duration: None,
        }
    }
}

const USERNAME: &str = "username";
const PASSWORD: &str = "password";
const DURATION: &str = "duration";

/// Decodes a credential file's bytes strictly: the structure first (an
/// unknown or repeated key, in document order), then the types.
pub(crate) fn decode(bytes: &[u8]) -> Result<Credential, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let text = core::str::from_utf8(bytes).map_err(|_| DecodeError::NotUtf8)?;
    // Only a syntax error fails the parse: every value is "any JSON".
    let Value::Object(object) = json::parse(text).ok_or(DecodeError::NotJson)? else {
        return Err(DecodeError::NotObject);
    };
    let (mut username, mut password, mut duration) = (None, None, None);
    for (position, (key, value)) in object.into_members().into_iter().enumerate() {
        let (slot, name) = match key.as_str() {
            USERNAME => (&mut username, USERNAME),
            PASSWORD => (&mut password, PASSWORD),
            DURATION => (&mut duration, DURATION),
            _ => {
                return Err(match near_miss(&key) {
                    Some(meant) => DecodeError::NearMiss { found: key, meant },
                    None => DecodeError::UnknownKey {
                        position: position + 1,
                        len: key.len(),
                    },
                });
            }
        };
        if slot.replace(value).is_some() {
            return Err(DecodeError::DuplicateKey(name));
        }
    }
    let duration = match duration {
        None => None,
        Some(value) => {
            let text = value.as_str().ok_or(DecodeError::NotAString(DURATION))?;
            Some(Duration::parse(text).map_err(DecodeError::BadDuration)?)
        }
    };
    Ok(Credential {
        username: required(username, USERNAME)?,
        password: required(password, PASSWORD)?,
        duration,
    })
}

fn required(value: Option<Value>, key: &'static str) -> Result<Secret, DecodeError> {
    match value {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(DecodeError::NotAString(key)),
        None => Err(DecodeError::MissingKey(key)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_accepts_strict_files() {
        let c = decode(br#"{"username":"u\"s","password":"p\\w\n\u00e9","duration":"0h5m0s"}"#)
            .unwrap();
        assert_eq!(c.username.as_bytes(), b"u\"s");
        assert_eq!(c.password.as_bytes(), "p\\w\n\u{e9}".as_bytes());
        assert_eq!(c.duration, Some(Duration::FIVE_MINUTES));
        let c = decode(br#" {"password":"","username":""} "#).unwrap();
        assert!(c.username.is_empty() && c.password.is_empty() && c.duration.is_none());
    }

    #[test]
    fn miri_refuses_with_the_key_named() {
        let cases: &[(&[u8], DecodeError)] = &[
            (
                br#"{"username":"u","pasword":"p"}"#,
                DecodeError::NearMiss {
                    found: "pasword".into(),
                    meant: "password",
                },
            ),
            (
                br#"{"username":"u","password":"p","password":"q"}"#,
                DecodeError::DuplicateKey("password"),
            ),
            (
                br#"{"username":5,"password":"p"}"#,
                DecodeError::NotAString("username"),
            ),
            (
                br#"{"username":"u","password":["p"]}"#,
                DecodeError::NotAString("password"),
            ),
            (
                br#"{"username":"u","password":{"a":1}}"#,
                DecodeError::NotAString("password"),
            ),
            (
                br#"{"username":"u","password":null}"#,
                DecodeError::NotAString("password"),
            ),
            (
                br#"{"username":"u","password":"p","duration":300}"#,
                DecodeError::NotAString("duration"),
            ),
            (br#"{"username":"u"}"#, DecodeError::MissingKey("password")),
            (br#"{"password":"p"}"#, DecodeError::MissingKey("username")),
            (
                br#"{"username":"u","password":"p","duration":"1d"}"#,
                DecodeError::BadDuration(DurationError::UnknownUnit),
            ),
            (
                br#"{"username":"u","password":"p","duration":""}"#,
                DecodeError::BadDuration(DurationError::Invalid),
            ),
            (
                br#"{"username":"u","password":"p","duration":"300"}"#,
                DecodeError::BadDuration(DurationError::MissingUnit),
            ),
            (
                br#"{"username":"u","password":"p","duration":"-5m"}"#,
                DecodeError::BadDuration(DurationError::Negative),
            ),
            (br#"{"username":"u","password":"p""#, DecodeError::NotJson),
            (
                br#"{"username":"u","password":"p"} x"#,
                DecodeError::NotJson,
            ),
            (b"", DecodeError::Empty),
            (b" ", DecodeError::NotJson),
            (
                br#"{"username":"u","robot$pull":"s3cr3t"}"#,
                DecodeError::UnknownKey {
                    position: 2,
                    len: 10,
                },
            ),
            (
                br#"{"usernme":"u","password":"p"}"#,
                DecodeError::NearMiss {
                    found: "usernme".into(),
                    meant: "username",
                },
            ),
            (br#"["u","p"]"#, DecodeError::NotObject),
            (br#""u""#, DecodeError::NotObject),
            (b"\xff", DecodeError::NotUtf8),
        ];
        for (bytes, want) in cases {
            let got = decode(bytes).err();
            assert_eq!(
                got.as_ref(),
                Some(want),
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

//! The `CredentialProviderResponse`, written by hand into one buffer sized up
//! front for the worst case (every byte of a secret escaped to `\u00XX`), so
//! nothing reallocates and leaves a copy of a password behind. The kubelet
//! decodes strictly: exactly these fields, no duplicates, valid JSON strings.

use crate::credfile::Credential;
use crate::duration::Duration;
use crate::request::ApiVersion;
use crate::secret::Secret;
use alloc::string::ToString;
#[cfg(any(test, fuzzing))]
use alloc::{string::String, vec::Vec};

/// Bytes one input byte can become when escaped (`\u00XX`).
const MAX_ESCAPED_BYTES_PER_BYTE: usize = 6;
/// Room for the fixed text of the response and a printed duration.
const FIXED_OVERHEAD_BYTES: usize = 256;

/// How the kubelet should cache the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheKeyType {
    /// Per image (repository files, and hosts that have repository files).
    Image,
    /// Per registry host and port.
    Registry,
}

impl CacheKeyType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "Image",
            Self::Registry => "Registry",
        }
    }
}

/// The one `auth` entry of an answer.
#[derive(Debug, Clone, Copy)]
pub struct AuthEntry<'a> {
    /// The key the kubelet matches against the image.
    pub key: &'a str,
    /// The credential.
    pub credential: &'a Credential,
}

/// What the response says.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    /// The request's version, echoed.
    pub api_version: ApiVersion,
    /// How the kubelet caches it.
    pub cache_key_type: CacheKeyType,
    /// For how long.
    pub cache_duration: Duration,
    /// The credentials, none to two (a mirror's, then what follows it).
    pub auth: &'a [AuthEntry<'a>],
}

/// A `Secret` writer that never grows its buffer; `overflowed` records an
/// attempt to write past the reserved capacity (a sizing bug, refused).
struct Writer {
    buf: Secret,
    overflowed: bool,
}

impl Writer {
    fn raw(&mut self, bytes: &[u8]) {
        self.overflowed |= !self.buf.push(bytes);
    }

    /// A JSON string, escaped like miniserde's `escape_str`: quote, backslash
    /// and control characters; other bytes, UTF-8 included, pass unchanged.
    fn string(&mut self, s: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.raw(b"\"");
        let mut start = 0;
        for (i, &b) in s.iter().enumerate() {
            let escape: Option<&[u8]> = match b {
                b'"' => Some(b"\\\""),
                b'\\' => Some(b"\\\\"),
                b'\n' => Some(b"\\n"),
                b'\r' => Some(b"\\r"),
                b'\t' => Some(b"\\t"),
                0x08 => Some(b"\\b"),
                0x0c => Some(b"\\f"),
                0x00..=0x1f => None,
                _ => continue,
            };
            self.raw(s.get(start..i).unwrap_or_default());
            match escape {
                Some(e) => self.raw(e),
                None => {
                    let hex = [
                        b'\\',
                        b'u',
                        b'0',
                        b'0',
                        HEX[usize::from(b >> 4)],
                        HEX[usize::from(b & 0xf)],
                    ];
                    self.raw(&hex);
                }
            }
            start = i + 1;
        }
        self.raw(s.get(start..).unwrap_or_default());
        self.raw(b"\"");
    }
}

/// Writes the response, one JSON object and one trailing newline. Returns
/// `None` only if the buffer was sized too small, which cannot happen.
pub fn write(answer: &Response<'_>) -> Option<Secret> {
    let secret_bytes: usize = answer
        .auth
        .iter()
        .map(|a| a.key.len() + a.credential.username.len() + a.credential.password.len())
        .sum();
    let capacity = FIXED_OVERHEAD_BYTES * (1 + answer.auth.len())
        + answer.api_version.as_str().len()
        + secret_bytes * MAX_ESCAPED_BYTES_PER_BYTE;
    let mut w = Writer {
        buf: Secret::with_capacity(capacity),
        overflowed: false,
    };
    w.raw(b"{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":");
    w.string(answer.api_version.as_str().as_bytes());
    w.raw(b",\"cacheKeyType\":");
    w.string(answer.cache_key_type.as_str().as_bytes());
    w.raw(b",\"cacheDuration\":");
    w.string(answer.cache_duration.to_string().as_bytes());
    for (i, AuthEntry { key, credential }) in answer.auth.iter().enumerate() {
        w.raw(if i == 0 { b",\"auth\":{" } else { b"," });
        w.string(key.as_bytes());
        w.raw(b":{\"username\":");
        w.string(credential.username.as_bytes());
        w.raw(b",\"password\":");
        w.string(credential.password.as_bytes());
        w.raw(b"}");
    }
    if !answer.auth.is_empty() {
        w.raw(b"}");
    }
    w.raw(b"}\n");
    (!w.overflowed).then_some(w.buf)
}

/// A credential file as `put` writes it: `{"username":…,"password":…}` and
/// `duration` when given, escaped as the response is, one line. `None` only
/// if the buffer was sized too small, which cannot happen.
pub fn credential_file(username: &[u8], password: &[u8], duration: Option<&str>) -> Option<Secret> {
    let secret_bytes = username.len() + password.len() + duration.map_or(0, str::len);
    let mut w = Writer {
        buf: Secret::with_capacity(
            FIXED_OVERHEAD_BYTES + secret_bytes * MAX_ESCAPED_BYTES_PER_BYTE,
        ),
        overflowed: false,
    };
    w.raw(b"{\"username\":");
    w.string(username);
    w.raw(b",\"password\":");
    w.string(password);
    if let Some(d) = duration {
        w.raw(b",\"duration\":");
        w.string(d.as_bytes());
    }
    w.raw(b"}\n");
    (!w.overflowed).then_some(w.buf)
}

/// Why the kubelet would refuse a response.
#[cfg(any(test, fuzzing))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not UTF-8, not one JSON object, or trailing data.
    NotOneObject,
    /// A field outside the schema, a duplicate, or a field of the wrong type.
    BadField,
    /// `kind` missing or wrong.
    Kind,
    /// `cacheKeyType` not `Image`, `Registry` or `Global`.
    CacheKeyType,
    /// `cacheDuration` not a Go duration.
    CacheDuration,
}

/// The third cache key type the kubelet knows; we never answer with it.
#[cfg(any(test, fuzzing))]
const GLOBAL_CACHE_KEY_TYPE: &str = "Global";

/// One `auth` entry as the kubelet decodes it.
#[cfg(any(test, fuzzing))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedAuth {
    /// The key.
    pub key: String,
    /// The username.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Decodes a response the way the kubelet does (strictly: only the known
/// fields, no duplicates, a valid `cacheKeyType` and `cacheDuration`) and
/// returns the `auth` entries. Used by `check` and the fuzz targets; the
/// plugin itself writes only what this accepts.
#[cfg(any(test, fuzzing))]
pub fn kubelet_decode(bytes: &[u8]) -> Result<Vec<DecodedAuth>, Rejection> {
    use miniserde::json::Value;
    let text = core::str::from_utf8(bytes).map_err(|_| Rejection::NotOneObject)?;
    let value: Value = miniserde::json::from_str(text).map_err(|_| Rejection::NotOneObject)?;
    let Value::Object(fields) = value else {
        return Err(Rejection::NotOneObject);
    };
    // miniserde keeps the last of duplicate keys; the writer emits a fixed
    // sequence of distinct keys, so none can occur in what it writes.
    let mut auth = Vec::new();
    let mut kind_ok = false;
    for (key, value) in fields.iter() {
        match (key.as_str(), value) {
            ("kind", Value::String(k)) => kind_ok = k == "CredentialProviderResponse",
            ("apiVersion", Value::String(_)) => {}
            ("cacheKeyType", Value::String(t)) => {
                let known = [CacheKeyType::Image, CacheKeyType::Registry].map(CacheKeyType::as_str);
                if !known.contains(&t.as_str()) && t != GLOBAL_CACHE_KEY_TYPE {
                    return Err(Rejection::CacheKeyType);
                }
            }
            ("cacheKeyType", _) => return Err(Rejection::CacheKeyType),
            ("cacheDuration", Value::Null) => {}
            ("cacheDuration", Value::String(d)) => {
                // The kubelet accepts negative durations; we never write one.
                let d = d.strip_prefix('-').unwrap_or(d);
                Duration::parse(d).map_err(|_| Rejection::CacheDuration)?;
            }
            ("auth", Value::Null) => {}
            ("auth", Value::Object(entries)) => {
                for (k, entry) in entries.iter() {
                    let Value::Object(creds) = entry else {
                        return Err(Rejection::BadField);
                    };
                    let mut user = String::new();
                    let mut pass = String::new();
                    for (field, v) in creds.iter() {
                        match (field.as_str(), v) {
                            ("username", Value::String(s)) => user.clone_from(s),
                            ("password", Value::String(s)) => pass.clone_from(s),
                            _ => return Err(Rejection::BadField),
                        }
                    }
                    auth.push(DecodedAuth {
                        key: k.clone(),
                        username: user,
                        password: pass,
                    });
                }
            }
            _ => return Err(Rejection::BadField),
        }
    }
    if !kind_ok {
        return Err(Rejection::Kind);
    }
    Ok(auth)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(u: &str, p: &str) -> Credential {
        Credential {
            username: Secret::from_string(u.to_owned()),
            password: Secret::from_string(p.to_owned()),
            duration: None,
        }
    }

    #[test]
    fn miri_writes_exact_json() {
        let c = cred("user", "pa\"ss\\\n\u{1}é");
        let api_version = ApiVersion::parse("credentialprovider.kubelet.k8s.io/v1").unwrap();
        let out = write(&Response {
            api_version,
            cache_key_type: CacheKeyType::Registry,
            cache_duration: Duration::FIVE_MINUTES,
            auth: &[AuthEntry {
                key: "registry.example.org:5000",
                credential: &c,
            }],
        })
        .unwrap();
        assert_eq!(
            std::str::from_utf8(out.as_bytes()).unwrap(),
            "{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"cacheKeyType\":\"Registry\",\"cacheDuration\":\"5m0s\",\"auth\":{\"registry.example.org:5000\":{\"username\":\"user\",\"password\":\"pa\\\"ss\\\\\\n\\u0001é\"}}}\n"
        );
    }

    #[test]
    fn miri_kubelet_decode_accepts_what_the_writer_writes_and_rejects_the_rest() {
        let c = cred("u\"\n", "p\\é");
        let api_version = ApiVersion::V1;
        let out = write(&Response {
            api_version,
            cache_key_type: CacheKeyType::Image,
            cache_duration: Duration::ZERO,
            auth: &[AuthEntry {
                key: "k.io/a",
                credential: &c,
            }],
        })
        .unwrap();
        assert_eq!(
            kubelet_decode(out.as_bytes()),
            Ok(vec![DecodedAuth {
                key: "k.io/a".to_owned(),
                username: "u\"\n".to_owned(),
                password: "p\\é".to_owned()
            }])
        );
        for (bad, why) in [
            (&br#"{"kind":"CredentialProviderResponse","cacheKeyType":"Host"}"#[..], Rejection::CacheKeyType),
            (br#"{"kind":"CredentialProviderResponse","cacheKeyType":"Registry","cacheDuration":"1d"}"#, Rejection::CacheDuration),
            (br#"{"kind":"CredentialProviderResponse","cacheKeyType":"Registry","metadata":{}}"#, Rejection::BadField),
            (br#"{"kind":"CredentialProviderResponse","auth":{"k":{"username":"u","auth":"x"}}}"#, Rejection::BadField),
            (br#"{"kind":"WrongKind","cacheKeyType":"Registry"}"#, Rejection::Kind),
            (br#"{"kind":"CredentialProviderResponse"} {}"#, Rejection::NotOneObject),
        ] {
            assert_eq!(kubelet_decode(bad), Err(why), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn miri_worst_case_escaping_fits() {
        let all_controls: String = (0u8..0x20).map(char::from).collect::<String>().repeat(100);
        let c = cred(&all_controls, &all_controls);
        let api_version = ApiVersion::parse("credentialprovider.kubelet.k8s.io/v1alpha1").unwrap();
        let out = write(&Response {
            api_version,
            cache_key_type: CacheKeyType::Image,
            cache_duration: Duration::from_nanos(u64::MAX >> 1).unwrap(),
            auth: &[AuthEntry {
                key: "k",
                credential: &c,
            }],
        });
        assert!(out.is_some());
    }
}

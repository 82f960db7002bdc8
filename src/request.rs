//! The kubelet's `CredentialProviderRequest`, read from stdin and decoded
//! leniently (unknown fields ignored, as the kubelet adds them over time) but
//! checked strictly where it matters: `kind`, one of three `apiVersion`s, and
//! an `image` that passes the reference grammar. The service-account token of
//! a v1 request is taken into a [`Secret`] of its own, and only its claims
//! are read (`token`); annotations are never decoded.

use crate::errno::Errno;
use crate::error::{Escaped, truncated};
use crate::reference::{self, Reference, ReferenceError};
use crate::secret::Secret;
use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;
use miniserde::de::Visitor;
use miniserde::{Deserialize, make_place};

/// Largest request accepted, in bytes: an image name, a JWT and a few
/// annotations fit many times over.
pub(crate) const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// The first buffer: one page holds a request with a typical token.
const FIRST_READ_BYTES: usize = 4096;

const REQUEST_KIND: &str = "CredentialProviderRequest";

/// The request fields we read. miniserde's derive ignores every other field.
#[derive(Deserialize)]
struct WireRequest {
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    image: Option<String>,
    #[serde(rename = "serviceAccountToken")]
    service_account_token: Option<TokenText>,
}

/// The token string, straight into a [`Secret`] (miniserde's scratch copy of
/// an escaped string is wiped by the allocator when freed).
struct TokenText(Secret);

make_place!(Place);

impl Deserialize for TokenText {
    fn begin(out: &mut Option<Self>) -> &mut dyn Visitor {
        Place::new(out)
    }
}

impl Visitor for Place<TokenText> {
    fn string(&mut self, s: &str) -> miniserde::Result<()> {
        self.out = Some(TokenText(Secret::from_string(s.to_owned())));
        Ok(())
    }
}

/// One of the three `credentialprovider.kubelet.k8s.io` API versions the
/// kubelet may be configured with; the answer echoes the one it sent,
/// because it compares the strings exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    /// `credentialprovider.kubelet.k8s.io/v1`: the only one that carries
    /// service-account tokens.
    V1,
    /// `credentialprovider.kubelet.k8s.io/v1beta1`.
    V1beta1,
    /// `credentialprovider.kubelet.k8s.io/v1alpha1`.
    V1alpha1,
}

impl ApiVersion {
    /// Every version, newest first.
    pub const ALL: [Self; 3] = [Self::V1, Self::V1beta1, Self::V1alpha1];

    /// The full `apiVersion` string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "credentialprovider.kubelet.k8s.io/v1",
            Self::V1beta1 => "credentialprovider.kubelet.k8s.io/v1beta1",
            Self::V1alpha1 => "credentialprovider.kubelet.k8s.io/v1alpha1",
        }
    }

    /// Accepts exactly `credentialprovider.kubelet.k8s.io/{v1,v1beta1,v1alpha1}`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Why a request was refused. Excerpts of fields are escaped and cut short;
/// the token is never read, so it cannot be quoted.
#[derive(Debug)]
pub(crate) enum RequestError {
    /// Standard input could not be read.
    Read(Errno),
    /// Standard input is a terminal: the kubelet never sends one, and a read
    /// would wait for a person.
    Terminal,
    /// Standard input held nothing but whitespace.
    Empty,
    /// Standard input exceeded [`MAX_REQUEST_BYTES`].
    TooLarge,
    /// Standard input was not UTF-8.
    NotUtf8,
    /// Standard input was not one JSON object with string fields.
    Malformed,
    /// `kind` was not `CredentialProviderRequest` (the excerpt found).
    Kind(String),
    /// `apiVersion` was not one of the three (the excerpt found).
    ApiVersion(String),
    /// `image` was absent.
    NoImage,
    /// `image` is not a valid reference.
    InvalidImage {
        /// An excerpt of the image.
        image: String,
        /// Why.
        reason: ReferenceError,
    },
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read(e) => write!(f, "cannot read the request from stdin: {e}"),
            Self::Terminal => f.write_str(
                "stdin is a terminal; the kubelet writes the request to a pipe (try: generic-credential-provider < request.json)",
            ),
            Self::Empty => f.write_str("the request on stdin is empty"),
            Self::TooLarge => write!(f, "the request on stdin is larger than {MAX_REQUEST_BYTES} bytes"),
            Self::NotUtf8 => f.write_str("the request on stdin is not valid UTF-8"),
            Self::Malformed => f.write_str(
                "the request on stdin is not a JSON object whose kind, apiVersion, image (and serviceAccountToken, if any) are strings",
            ),
            Self::Kind(kind) => write!(
                f,
                "the request kind is \"{}\", not {REQUEST_KIND}",
                Escaped(kind)
            ),
            Self::ApiVersion(v) => write!(
                f,
                "the request apiVersion \"{}\" is not supported; expected credentialprovider.kubelet.k8s.io/v1, /v1beta1 or /v1alpha1",
                Escaped(v)
            ),
            Self::NoImage => f.write_str("the request has no image"),
            Self::InvalidImage { image, reason } => {
                write!(f, "invalid image \"{}\": {reason}", Escaped(image))
            }
        }
    }
}

/// A decoded, validated request.
#[derive(Debug)]
pub(crate) struct Request {
    /// The `apiVersion` to echo.
    pub api_version: ApiVersion,
    /// The image, parsed and normalized.
    pub image: Reference,
    /// The pod's service-account token (v1 requests only; an empty one is
    /// no token). Its signature is not verified: the kubelet is the trust anchor.
    pub token: Option<Secret>,
}

/// Reads standard input to EOF into one buffer allocated once; more than
/// [`MAX_REQUEST_BYTES`] is refused, never truncated.
pub(crate) fn read_stdin() -> Result<Secret, RequestError> {
    if crate::sys::stdin_is_terminal() {
        return Err(RequestError::Terminal);
    }
    // Most requests fit one page; a larger one (a long token) moves once to
    // the full limit. One spare byte tells "exactly the limit" from "more".
    let mut buf = Secret::with_capacity(FIRST_READ_BYTES);
    loop {
        if buf.is_full() {
            if buf.len() > MAX_REQUEST_BYTES {
                break;
            }
            // The old buffer is wiped when it is dropped here.
            buf = buf.moved_to_capacity(MAX_REQUEST_BYTES + 1);
        }
        match buf.read_stdin() {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(RequestError::Read(e)),
        }
    }
    if buf.len() > MAX_REQUEST_BYTES {
        return Err(RequestError::TooLarge);
    }
    Ok(buf)
}

/// Decodes and validates a request. The error never quotes more than a
/// short, escaped prefix of a field, and never the token.
pub(crate) fn decode(bytes: &[u8]) -> Result<Request, RequestError> {
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(RequestError::TooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(RequestError::Empty);
    }
    let text = core::str::from_utf8(bytes).map_err(|_| RequestError::NotUtf8)?;
    let wire: WireRequest = miniserde::json::from_str(text).map_err(|_| RequestError::Malformed)?;
    let kind = wire.kind.unwrap_or_default();
    if kind != REQUEST_KIND {
        return Err(RequestError::Kind(truncated(&kind)));
    }
    let raw_version = wire.api_version.unwrap_or_default();
    let api_version = ApiVersion::parse(&raw_version)
        .ok_or_else(|| RequestError::ApiVersion(truncated(&raw_version)))?;
    let image = wire.image.ok_or(RequestError::NoImage)?;
    let image =
        reference::parse_normalized_named(&image).map_err(|reason| RequestError::InvalidImage {
            image: truncated(&image),
            reason,
        })?;
    // Only v1 carries tokens (KEP-4412); an empty one is none (the kubelet
    // omits the field when it has no token).
    let token = wire
        .service_account_token
        .filter(|_| api_version == ApiVersion::V1)
        .map(|t| t.0)
        .filter(|t| !t.is_empty());
    Ok(Request {
        api_version,
        image,
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_accepts_each_api_version_and_ignores_unknown_fields() {
        for v in ["v1", "v1beta1", "v1alpha1"] {
            let body = format!(
                r#"{{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/{v}","image":"test.registry.io/foobar","serviceAccountToken":"tok","serviceAccountAnnotations":{{"a":"b"}},"future":[1,{{"x":null}}]}}"#
            );
            let r = decode(body.as_bytes()).unwrap();
            assert_eq!(
                r.api_version.as_str(),
                format!("credentialprovider.kubelet.k8s.io/{v}")
            );
            assert_eq!(r.image.name(), "test.registry.io/foobar");
        }
    }

    #[test]
    fn miri_refuses_wrong_kind_version_and_image() {
        let cases = [
            (
                r#"{"kind":"X","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a/b"}"#,
                "kind",
            ),
            (
                r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v2","image":"a/b"}"#,
                "apiVersion",
            ),
            (
                r#"{"kind":"CredentialProviderRequest","apiVersion":"foobar.kubelet.k8s.io/v1beta1","image":"a/b"}"#,
                "apiVersion",
            ),
            (
                r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}"#,
                "no image",
            ),
            (
                r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"A/B"}"#,
                "invalid image",
            ),
            (r#"[]"#, "not a JSON object"),
            ("", "empty"),
        ];
        for (body, needle) in cases {
            let e = decode(body.as_bytes()).unwrap_err().to_string();
            assert!(e.contains(needle), "{body}: {e}");
        }
    }
}

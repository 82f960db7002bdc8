//! The kubelet's `CredentialProviderRequest`, read from stdin and decoded
//! leniently (unknown fields ignored, as the kubelet adds them over time) but
//! checked strictly where it matters: `kind`, one of three `apiVersion`s, and
//! an `image` that passes the reference grammar. The service-account token is
//! deliberately not declared, so it is never copied out of the input buffer.

use crate::error::{Error, truncated};
use crate::reference::{self, Reference};
use crate::secret::Secret;
use crate::sys;
use miniserde::Deserialize;

/// Largest request accepted, in bytes: an image name, a JWT and a few
/// annotations fit many times over.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// The first buffer: one page holds a request with a typical token.
const FIRST_READ_BYTES: usize = 4096;

const REQUEST_KIND: &str = "CredentialProviderRequest";
/// The versions the kubelet may be configured with; the answer echoes the one
/// it sent, because it compares the strings exactly.
const API_VERSIONS: [&str; 3] = [
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
];

/// The request fields we read. miniserde's derive ignores every other field.
#[derive(Deserialize)]
struct WireRequest {
    kind: Option<String>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
    image: Option<String>,
}

/// One of the three `credentialprovider.kubelet.k8s.io` API versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersion(&'static str);

impl ApiVersion {
    /// `credentialprovider.kubelet.k8s.io/v1`.
    pub const V1: Self = Self(API_VERSIONS[0]);

    /// The full `apiVersion` string, exactly as the kubelet sent it.
    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// Accepts exactly `credentialprovider.kubelet.k8s.io/{v1,v1beta1,v1alpha1}`.
    pub fn parse(s: &str) -> Option<Self> {
        API_VERSIONS.into_iter().find(|v| *v == s).map(Self)
    }
}

/// A decoded, validated request.
#[derive(Debug)]
pub struct Request {
    /// The `apiVersion` to echo.
    pub api_version: ApiVersion,
    /// The image, parsed and normalized.
    pub image: Reference,
}

/// Reads standard input to EOF into one buffer allocated once; more than
/// [`MAX_REQUEST_BYTES`] is refused, never truncated.
pub fn read_stdin() -> Result<Secret, Error> {
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
        match buf.read_from(sys::stdin()) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => return Err(Error::StdinRead(e)),
        }
    }
    if buf.len() > MAX_REQUEST_BYTES {
        return Err(Error::RequestTooLarge);
    }
    Ok(buf)
}

/// Decodes and validates a request. The error never quotes more than a
/// short, escaped prefix of a field, and never the token.
pub fn decode(bytes: &[u8]) -> Result<Request, Error> {
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(Error::RequestTooLarge);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::RequestEmpty);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| Error::RequestNotUtf8)?;
    let wire: WireRequest = miniserde::json::from_str(text).map_err(|_| Error::RequestMalformed)?;
    let kind = wire.kind.unwrap_or_default();
    if kind != REQUEST_KIND {
        return Err(Error::RequestKind(truncated(&kind)));
    }
    let raw_version = wire.api_version.unwrap_or_default();
    let api_version = ApiVersion::parse(&raw_version)
        .ok_or_else(|| Error::RequestApiVersion(truncated(&raw_version)))?;
    let image = wire.image.ok_or(Error::RequestNoImage)?;
    let image =
        reference::parse_normalized_named(&image).map_err(|reason| Error::InvalidImage {
            image: truncated(&image),
            reason,
        })?;
    Ok(Request { api_version, image })
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

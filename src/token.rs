//! The identity in a service-account token (KEP-4412): the namespace and
//! service account of the pod an image is pulled for, read from the JWT the
//! kubelet puts in a v1 request's `serviceAccountToken`.
//!
//! The signature is **not verified**, and the types say so
//! ([`UnverifiedClaims`]): the token arrives on a pipe from the kubelet, which
//! obtained it from the API server with a TokenRequest for this very pod, so
//! the kubelet is the trust anchor, exactly as it is for the `image` field. The
//! checks below refuse what a kubelet-issued token can never look like and keep
//! an odd token from choosing an odd directory: the claim layout of
//! kubernetes `pkg/serviceaccount/claims.go` (`sub`, `aud`, `exp`, and
//! `kubernetes.io: {namespace, serviceaccount: {name, uid}, pod, node}`), `sub`
//! equal to `system:serviceaccount:<namespace>:<name>`
//! (apiserver `MakeUsername`), the namespace a DNS-1123 label and the name a
//! DNS-1123 subdomain (the API server's validation of those objects), `exp`
//! not more than [`EXPIRY_LEEWAY_SECONDS`] in the past, and the configured
//! audience in `aud`.
//!
//! The header and signature are only checked to be non-empty unpadded
//! base64url: their content (`alg`, `kid`, the signature bytes) matters only
//! to a verifier, and decoding the header as JSON would add input to parse
//! for no decision. The payload is decoded into a [`Secret`] of at most
//! [`MAX_PAYLOAD_BYTES`], wiped when the claims have been read.
//!
//! No error quotes the token or any claim value, not even the namespace (it
//! came from the token): only claim names, segment numbers and lengths.

use crate::base64::{self, Alphabet, Base64Error, Padding};
use crate::json::{self, Lookup, Number, Object, Value};
use crate::secret::Secret;
use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;

/// Largest decoded payload accepted. A kubelet-requested token's payload is
/// about 600 bytes; 16 KiB leaves room for long names and extra claims.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
/// How far in the past `exp` may be: the kubelet requests a token per pull,
/// so only clock skew between the API server and this node can make it old.
/// (go-jose's `DefaultLeeway`, which the API server applies, is one minute.)
pub const EXPIRY_LEEWAY_SECONDS: u64 = 60;
/// `DNS1123LabelMaxLength`.
const MAX_LABEL_BYTES: usize = 63;
/// `DNS1123SubdomainMaxLength`.
const MAX_SUBDOMAIN_BYTES: usize = 253;
/// apiserver `serviceaccount.MakeUsername`: `system:serviceaccount:<ns>:<name>`.
const SUBJECT_PREFIX: &str = "system:serviceaccount:";
/// Segments of a JWS compact serialization.
const SEGMENTS: usize = 3;

/// A namespace name: a DNS-1123 label (`IsDNS1123Label`: 1 to 63 bytes of
/// `[a-z0-9-]`, starting and ending with `[a-z0-9]`). Never holds `/`, `.`,
/// NUL or uppercase, so it is safe as one path component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace(String);

/// A service account name: a DNS-1123 subdomain (`IsDNS1123Subdomain`: at
/// most 253 bytes, `.`-separated non-empty labels of `[a-z0-9-]`, each
/// starting and ending with `[a-z0-9]`). Never holds `/`, NUL or uppercase,
/// and is never `.` or `..`, so it is safe as one path component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccountName(String);

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, without the length limit.
fn is_dns1123_label_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    b.first().is_some_and(alnum)
        && b.last().is_some_and(alnum)
        && b.iter().all(|c| alnum(c) || *c == b'-')
}

impl Namespace {
    /// Validates `s` as `IsDNS1123Label` does.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() <= MAX_LABEL_BYTES && is_dns1123_label_syntax(s)).then(|| Self(s.to_owned()))
    }

    /// The namespace.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ServiceAccountName {
    /// Validates `s` as `IsDNS1123Subdomain` does (labels have no length
    /// limit of their own there, only the whole name).
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() <= MAX_SUBDOMAIN_BYTES && s.split('.').all(is_dns1123_label_syntax))
            .then(|| Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a token claims about the pod's identity. Unverified: its signature
/// was not checked (the kubelet that sent it is trusted instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedClaims {
    namespace: Namespace,
    service_account: ServiceAccountName,
    expires_at: Option<u64>,
}

impl UnverifiedClaims {
    /// `kubernetes.io.namespace`.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    /// `kubernetes.io.serviceaccount.name`.
    pub fn service_account(&self) -> &ServiceAccountName {
        &self.service_account
    }

    /// `exp`, in Unix seconds, if the token has one (RFC 7519 makes it
    /// optional; every token the kubelet requests has it).
    #[cfg(any(test, fuzzing))]
    pub fn expires_at(&self) -> Option<u64> {
        self.expires_at
    }
}

/// One of the three parts of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The JOSE header (segment 1).
    Header,
    /// The claims (segment 2).
    Payload,
    /// The signature (segment 3).
    Signature,
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "1 (header)",
            Self::Payload => "2 (payload)",
            Self::Signature => "3 (signature)",
        })
    }
}

/// A claim the plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// `sub`.
    Sub,
    /// `exp`.
    Exp,
    /// `aud`.
    Aud,
    /// `kubernetes.io`.
    Kubernetes,
    /// `kubernetes.io.namespace`.
    Namespace,
    /// `kubernetes.io.serviceaccount`.
    ServiceAccount,
    /// `kubernetes.io.serviceaccount.name`.
    ServiceAccountName,
}

impl Claim {
    /// The claim's path, as written in messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sub => "sub",
            Self::Exp => "exp",
            Self::Aud => "aud",
            Self::Kubernetes => "kubernetes.io",
            Self::Namespace => "kubernetes.io.namespace",
            Self::ServiceAccount => "kubernetes.io.serviceaccount",
            Self::ServiceAccountName => "kubernetes.io.serviceaccount.name",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Self::Sub | Self::Namespace | Self::ServiceAccountName => "a string",
            Self::Exp => "a number",
            Self::Aud => "a string or an array of strings",
            Self::Kubernetes | Self::ServiceAccount => "an object",
        }
    }
}

/// Why a token was refused. No variant holds token bytes or claim values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not three `.`-separated segments.
    NotThreeSegments {
        /// How many there were.
        segments: usize,
    },
    /// A segment is empty.
    EmptySegment(Segment),
    /// A segment is not unpadded base64url.
    BadBase64 {
        /// Which segment.
        segment: Segment,
        /// What is wrong with it.
        problem: Base64Error,
    },
    /// The payload decodes to more than [`MAX_PAYLOAD_BYTES`].
    PayloadTooLarge,
    /// The payload is not UTF-8 JSON.
    PayloadNotJson,
    /// The payload is JSON but not an object.
    PayloadNotObject,
    /// A claim the plugin needs is absent.
    ClaimMissing(Claim),
    /// A claim has the wrong JSON type.
    ClaimWrongType(Claim),
    /// A claim appears twice in its object (JSON decoders disagree on which
    /// one wins, so neither is trusted).
    ClaimDuplicate(Claim),
    /// `sub` is not `system:serviceaccount:<namespace>:<name>`.
    SubjectMismatch,
    /// `kubernetes.io.namespace` is not a DNS-1123 label.
    NamespaceInvalid {
        /// Its length in bytes.
        len: usize,
    },
    /// `kubernetes.io.serviceaccount.name` is not a DNS-1123 subdomain.
    NameInvalid {
        /// Its length in bytes.
        len: usize,
    },
    /// `exp` is more than [`EXPIRY_LEEWAY_SECONDS`] in the past.
    Expired,
    /// `aud` does not contain the configured audience.
    AudienceMissing,
}

const PREFIX: &str = "the service-account token";

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotThreeSegments { segments } => write!(
                f,
                "{PREFIX} is not a JWT: it has {segments} '.'-separated segments, not {SEGMENTS}"
            ),
            Self::EmptySegment(segment) => write!(f, "{PREFIX} segment {segment} is empty"),
            Self::BadBase64 { segment, problem } => write!(
                f,
                "{PREFIX} segment {segment} is not unpadded base64url: it {problem}"
            ),
            Self::PayloadTooLarge => write!(
                f,
                "{PREFIX} payload decodes to more than {MAX_PAYLOAD_BYTES} bytes"
            ),
            Self::PayloadNotJson => write!(f, "{PREFIX} payload is not UTF-8 JSON"),
            Self::PayloadNotObject => write!(f, "{PREFIX} payload is not a JSON object"),
            Self::ClaimMissing(claim) => write!(f, "{PREFIX} has no '{}' claim", claim.name()),
            Self::ClaimWrongType(claim) => write!(
                f,
                "{PREFIX} claim '{}' is not {}",
                claim.name(),
                claim.expected()
            ),
            Self::ClaimDuplicate(claim) => write!(
                f,
                "{PREFIX} has the claim '{}' more than once",
                claim.name()
            ),
            Self::SubjectMismatch => write!(
                f,
                "{PREFIX} claim 'sub' is not system:serviceaccount:<namespace>:<name> for its \
                 'kubernetes.io' namespace and service account name"
            ),
            Self::NamespaceInvalid { len } => write!(
                f,
                "{PREFIX} namespace ({len} bytes) is not a DNS-1123 label (1 to \
                 {MAX_LABEL_BYTES} of a-z, 0-9 and '-', starting and ending with a letter or digit)"
            ),
            Self::NameInvalid { len } => write!(
                f,
                "{PREFIX} service account name ({len} bytes) is not a DNS-1123 subdomain (at \
                 most {MAX_SUBDOMAIN_BYTES} bytes of '.'-separated labels of a-z, 0-9 and '-', \
                 each starting and ending with a letter or digit)"
            ),
            Self::Expired => write!(
                f,
                "{PREFIX} expired more than {EXPIRY_LEEWAY_SECONDS} s ago; the kubelet requests \
                 a fresh one for each pull, so check this node's clock"
            ),
            Self::AudienceMissing => write!(
                f,
                "{PREFIX} claim 'aud' does not contain the audience given with \
                 --service-account-audience; set the provider's \
                 tokenAttributes.serviceAccountTokenAudience to the same value"
            ),
        }
    }
}

/// A segment that must be well formed but is not read.
fn check_segment(segment: &[u8], which: Segment) -> Result<(), TokenError> {
    if segment.is_empty() {
        return Err(TokenError::EmptySegment(which));
    }
    base64::validate(segment, Alphabet::UrlSafe, Padding::Forbidden)
        .map(|_| ())
        .map_err(|problem| TokenError::BadBase64 {
            segment: which,
            problem,
        })
}

fn decode_payload(segment: &[u8]) -> Result<Secret, TokenError> {
    if segment.is_empty() {
        return Err(TokenError::EmptySegment(Segment::Payload));
    }
    base64::decode(
        segment,
        Alphabet::UrlSafe,
        Padding::Forbidden,
        MAX_PAYLOAD_BYTES,
    )
    .map_err(|problem| match problem {
        Base64Error::TooLong { .. } => TokenError::PayloadTooLarge,
        problem => TokenError::BadBase64 {
            segment: Segment::Payload,
            problem,
        },
    })
}

/// The claim at `key` in `object`, `None` if absent.
fn field<'a>(object: &'a Object, key: &str, claim: Claim) -> Result<Option<&'a Value>, TokenError> {
    match object.get(key) {
        Lookup::Absent => Ok(None),
        Lookup::One(value) => Ok(Some(value)),
        Lookup::Duplicate => Err(TokenError::ClaimDuplicate(claim)),
    }
}

fn required<'a>(object: &'a Object, key: &str, claim: Claim) -> Result<&'a Value, TokenError> {
    field(object, key, claim)?.ok_or(TokenError::ClaimMissing(claim))
}

fn required_object<'a>(
    object: &'a Object,
    key: &str,
    claim: Claim,
) -> Result<&'a Object, TokenError> {
    match required(object, key, claim)? {
        Value::Object(inner) => Ok(inner),
        _ => Err(TokenError::ClaimWrongType(claim)),
    }
}

fn required_str<'a>(object: &'a Object, key: &str, claim: Claim) -> Result<&'a str, TokenError> {
    required(object, key, claim)?
        .as_str()
        .ok_or(TokenError::ClaimWrongType(claim))
}

/// `exp` as whole Unix seconds. go-jose reads a `NumericDate` as a float
/// and truncates it; a negative one is long past.
fn expiry(value: &Value) -> Result<u64, TokenError> {
    match value {
        Value::Number(Number::Unsigned(n)) => Ok(*n),
        Value::Number(Number::Negative(_)) => Ok(0),
        // `as` saturates: a huge float is "never", a negative one is 0.
        Value::Number(Number::Float(x)) => Ok(x.max(0.0) as u64),
        _ => Err(TokenError::ClaimWrongType(Claim::Exp)),
    }
}

/// Whether `aud` (a string or an array of strings, RFC 7519 §4.1.3) contains
/// `wanted`; a value of any other shape is a type error even when no audience
/// is asked for, so that a malformed token never passes.
fn audience_contains(value: &Value, wanted: Option<&str>) -> Result<bool, TokenError> {
    let wrong = TokenError::ClaimWrongType(Claim::Aud);
    match value {
        Value::String(_) => Ok(Some(value.as_str().ok_or(wrong)?) == wanted),
        Value::Array(items) => {
            let mut found = false;
            for item in items {
                let text = item.as_str().ok_or(wrong)?;
                found |= Some(text) == wanted;
            }
            Ok(found)
        }
        _ => Err(wrong),
    }
}

/// Reads the identity from a service-account token; see the module
/// documentation for every rule. `now_unix_seconds` is the current time;
/// `audience`, when given, must be one of the token's audiences.
pub fn claims(
    jwt: &[u8],
    now_unix_seconds: u64,
    audience: Option<&str>,
) -> Result<UnverifiedClaims, TokenError> {
    let mut parts = jwt.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::NotThreeSegments {
            segments: jwt.split(|&b| b == b'.').count(),
        });
    };
    check_segment(header, Segment::Header)?;
    let decoded = decode_payload(payload)?;
    check_segment(signature, Segment::Signature)?;
    let text = core::str::from_utf8(decoded.as_bytes()).map_err(|_| TokenError::PayloadNotJson)?;
    let Value::Object(top) = json::parse(text).ok_or(TokenError::PayloadNotJson)? else {
        return Err(TokenError::PayloadNotObject);
    };
    read_claims(&top, now_unix_seconds, audience)
}

/// The claims' shapes first (missing, wrong type, duplicate), then their
/// values, so a message names the first structural problem.
fn read_claims(
    top: &Object,
    now_unix_seconds: u64,
    audience: Option<&str>,
) -> Result<UnverifiedClaims, TokenError> {
    let kubernetes = required_object(top, "kubernetes.io", Claim::Kubernetes)?;
    let namespace = required_str(kubernetes, "namespace", Claim::Namespace)?;
    let service_account = required_object(kubernetes, "serviceaccount", Claim::ServiceAccount)?;
    let name = required_str(service_account, "name", Claim::ServiceAccountName)?;
    let sub = required_str(top, "sub", Claim::Sub)?;
    // RFC 7519 makes `exp` optional, but every token the kubelet requests
    // has one: a token without it is no projected token, and is refused.
    let expires_at = Some(expiry(
        field(top, "exp", Claim::Exp)?.ok_or(TokenError::ClaimMissing(Claim::Exp))?,
    )?);
    let aud = field(top, "aud", Claim::Aud)?;
    let has_audience = aud.map(|v| audience_contains(v, audience)).transpose()?;

    let namespace = Namespace::parse(namespace).ok_or(TokenError::NamespaceInvalid {
        len: namespace.len(),
    })?;
    let service_account =
        ServiceAccountName::parse(name).ok_or(TokenError::NameInvalid { len: name.len() })?;
    let subject_matches = sub
        .strip_prefix(SUBJECT_PREFIX)
        .and_then(|rest| rest.strip_prefix(namespace.as_str()))
        .and_then(|rest| rest.strip_prefix(':'))
        == Some(service_account.as_str());
    if !subject_matches {
        return Err(TokenError::SubjectMismatch);
    }
    if expires_at.is_some_and(|exp| now_unix_seconds > exp.saturating_add(EXPIRY_LEEWAY_SECONDS)) {
        return Err(TokenError::Expired);
    }
    if audience.is_some() {
        match has_audience {
            None => return Err(TokenError::ClaimMissing(Claim::Aud)),
            Some(false) => return Err(TokenError::AudienceMissing),
            Some(true) => {}
        }
    }
    Ok(UnverifiedClaims {
        namespace,
        service_account,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base64::encode;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    /// A fixed "now" for the tests: 2026-01-01T00:00:00Z.
    const NOW: u64 = 1_767_225_600;
    const AUDIENCE: &str = "registry.example.org";
    const HEADER: &str = r#"{"alg":"RS256","kid":"nJ2xQ0pLcW9s4kXbJzT5yq3yQ6m1VhN0Fz8rKd7aH2E"}"#;
    const SIGNATURE: &[u8] =
        b"\x1f\x8b\x08 not a real signature, 256 bytes in a real token \xfe\xff\x00";

    /// The claims of a projected token as the API server writes them for the
    /// kubelet's TokenRequest (claim layout of `pkg/serviceaccount/claims.go`,
    /// pod and node bound), with values chosen to be found if leaked.
    fn real_claims() -> String {
        format!(
            r#"{{"aud":["{AUDIENCE}"],"exp":{exp},"iat":{iat},"iss":"https://kubernetes.default.svc.cluster.local","jti":"6f0b6d1e-0a8e-4f1d-9c52-3f5f0f0e2c11","kubernetes.io":{{"namespace":"tenant-qx","node":{{"name":"worker-zq-1","uid":"9d8f3a52-8c1e-4b0a-a2c3-1f2e3d4c5b6a"}},"pod":{{"name":"app-7d9c6b5f4-xk2lp","uid":"0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"}},"serviceaccount":{{"name":"builder-zq","uid":"5e6f7a8b-9c0d-1e2f-3a4b-5c6d7e8f9a0b"}}}},"nbf":{iat},"sub":"system:serviceaccount:tenant-qx:builder-zq"}}"#,
            exp = NOW + 3600,
            iat = NOW - 10,
        )
    }

    fn segment(bytes: &[u8]) -> String {
        encode(bytes, Alphabet::UrlSafe, false)
    }

    /// A JWT with `claims` as its payload and a dummy signature.
    fn jwt(claims: &str) -> String {
        format!(
            "{}.{}.{}",
            segment(HEADER.as_bytes()),
            segment(claims.as_bytes()),
            segment(SIGNATURE)
        )
    }

    fn check(claims_json: &str) -> Result<UnverifiedClaims, TokenError> {
        claims(jwt(claims_json).as_bytes(), NOW, Some(AUDIENCE))
    }

    /// `real_claims()` with `from` replaced by `to` (exactly once).
    fn edited(from: &str, to: &str) -> String {
        let c = real_claims();
        assert_eq!(c.matches(from).count(), 1, "{from}");
        c.replacen(from, to, 1)
    }

    #[test]
    fn accepts_a_real_shaped_token() {
        let got = check(&real_claims()).unwrap();
        assert_eq!(got.namespace().as_str(), "tenant-qx");
        assert_eq!(got.service_account().as_str(), "builder-zq");
        assert_eq!(got.expires_at(), Some(NOW + 3600));
    }

    #[test]
    fn accepts_aud_as_a_plain_string_as_go_jose_writes_one_audience() {
        let c = edited(
            &format!(r#""aud":["{AUDIENCE}"]"#),
            &format!(r#""aud":"{AUDIENCE}""#),
        );
        assert!(check(&c).is_ok());
    }

    #[test]
    fn accepts_any_audience_when_none_is_configured() {
        let c = edited(
            &format!(r#""aud":["{AUDIENCE}"]"#),
            r#""aud":["other","x"]"#,
        );
        assert!(claims(jwt(&c).as_bytes(), NOW, None).is_ok());
        let c = edited(&format!(r#""aud":["{AUDIENCE}"],"#), "");
        assert!(claims(jwt(&c).as_bytes(), NOW, None).is_ok());
    }

    #[test]
    fn refuses_a_token_without_the_configured_audience() {
        let c = edited(
            &format!(r#""aud":["{AUDIENCE}"]"#),
            r#""aud":["other","x"]"#,
        );
        assert_eq!(check(&c).err(), Some(TokenError::AudienceMissing));
        let c = edited(&format!(r#""aud":["{AUDIENCE}"]"#), r#""aud":[]"#);
        assert_eq!(check(&c).err(), Some(TokenError::AudienceMissing));
        let c = edited(&format!(r#""aud":["{AUDIENCE}"]"#), r#""aud":"other""#);
        assert_eq!(check(&c).err(), Some(TokenError::AudienceMissing));
        let c = edited(&format!(r#""aud":["{AUDIENCE}"],"#), "");
        assert_eq!(check(&c).err(), Some(TokenError::ClaimMissing(Claim::Aud)));
        let c = edited(
            &format!(r#""aud":["{AUDIENCE}"]"#),
            r#""aud":["other","registry.example.org"]"#,
        );
        assert!(check(&c).is_ok());
    }

    #[test]
    fn refuses_an_expired_token_beyond_the_leeway() {
        let exp = format!(r#""exp":{}"#, NOW + 3600);
        let at = |t: u64| edited(&exp, &format!(r#""exp":{t}"#));
        assert_eq!(
            check(&at(NOW - EXPIRY_LEEWAY_SECONDS - 1)).err(),
            Some(TokenError::Expired)
        );
        assert!(check(&at(NOW - EXPIRY_LEEWAY_SECONDS)).is_ok());
        assert_eq!(
            check(&edited(&exp, r#""exp":-5"#)).err(),
            Some(TokenError::Expired)
        );
        assert_eq!(
            check(&edited(&exp, r#""exp":1.5e3"#)).err(),
            Some(TokenError::Expired)
        );
        let float = check(&edited(&exp, &format!(r#""exp":{}.75"#, NOW + 5))).unwrap();
        assert_eq!(float.expires_at(), Some(NOW + 5));
        assert_eq!(
            check(&edited(&format!("{exp},"), "")).err(),
            Some(TokenError::ClaimMissing(Claim::Exp)),
            "a token without exp is no projected token"
        );
    }

    #[test]
    fn refuses_a_subject_that_does_not_name_the_same_account() {
        let sub = r#""sub":"system:serviceaccount:tenant-qx:builder-zq""#;
        for other in [
            "system:serviceaccount:tenant-qx:other",
            "system:serviceaccount:other:builder-zq",
            "system:serviceaccount:tenant-qx:builder-zq:x",
            "system:serviceaccount:tenant-qxbuilder-zq",
            "system:serviceaccounts:tenant-qx:builder-zq",
            "system:node:worker-zq-1",
            "",
        ] {
            let c = edited(sub, &format!(r#""sub":"{other}""#));
            assert_eq!(
                check(&c).err(),
                Some(TokenError::SubjectMismatch),
                "{other}"
            );
        }
    }

    #[test]
    fn refuses_a_namespace_that_is_not_a_dns_1123_label() {
        for bad in ["../x", "A", "", "-a", "a-", "a.b", "a/b", "a:b", "\\u00e9"] {
            let c = real_claims().replace("tenant-qx", bad);
            let len = if bad.starts_with('\\') { 2 } else { bad.len() };
            assert_eq!(
                check(&c).err(),
                Some(TokenError::NamespaceInvalid { len }),
                "{bad}"
            );
        }
        let long = "a".repeat(MAX_LABEL_BYTES + 1);
        let c = real_claims().replace("tenant-qx", &long);
        assert_eq!(
            check(&c).err(),
            Some(TokenError::NamespaceInvalid {
                len: MAX_LABEL_BYTES + 1
            })
        );
        let c = real_claims().replace("tenant-qx", &"a".repeat(MAX_LABEL_BYTES));
        assert!(check(&c).is_ok());
    }

    #[test]
    fn refuses_a_name_that_is_not_a_dns_1123_subdomain() {
        for bad in ["..", ".", "a..b", "Builder", "a_b", "a/b", "-a", "a.-b", ""] {
            let c = real_claims().replace("builder-zq", bad);
            assert_eq!(
                check(&c).err(),
                Some(TokenError::NameInvalid { len: bad.len() }),
                "{bad}"
            );
        }
        // Labels have no limit of their own; the whole name has 253 bytes.
        for good in [
            "a.b-c.0",
            "x",
            &"a".repeat(100),
            &format!("{}.b", "a".repeat(251)),
        ] {
            let c = real_claims().replace("builder-zq", good);
            assert!(check(&c).is_ok(), "{good}");
        }
        let c = real_claims().replace("builder-zq", &format!("{}.b", "a".repeat(252)));
        assert_eq!(check(&c).err(), Some(TokenError::NameInvalid { len: 254 }));
    }

    #[test]
    fn refuses_a_missing_claim_by_name() {
        let cases = [
            (
                r#""sub":"system:serviceaccount:tenant-qx:builder-zq""#,
                r#""x":1"#,
                Claim::Sub,
            ),
            (r#""namespace":"tenant-qx","#, "", Claim::Namespace),
            (r#""name":"builder-zq","#, "", Claim::ServiceAccountName),
        ];
        for (claim_text, replacement, claim) in cases {
            let c = edited(claim_text, replacement);
            assert_eq!(
                check(&c).err(),
                Some(TokenError::ClaimMissing(claim)),
                "{claim_text}"
            );
        }
        let without_sa = r#"{"sub":"system:serviceaccount:a:b","kubernetes.io":{"namespace":"a"}}"#;
        assert_eq!(
            claims(jwt(without_sa).as_bytes(), NOW, None).err(),
            Some(TokenError::ClaimMissing(Claim::ServiceAccount))
        );
        let without_k8s = r#"{"sub":"system:serviceaccount:a:b"}"#;
        assert_eq!(
            claims(jwt(without_k8s).as_bytes(), NOW, None).err(),
            Some(TokenError::ClaimMissing(Claim::Kubernetes))
        );
    }

    #[test]
    fn refuses_a_claim_of_the_wrong_type_by_name() {
        let sub = r#""sub":"system:serviceaccount:tenant-qx:builder-zq""#;
        let cases = [
            (
                sub,
                r#""sub":["system:serviceaccount:tenant-qx:builder-zq"]"#,
                Claim::Sub,
            ),
            (sub, r#""sub":null"#, Claim::Sub),
            (
                r#""namespace":"tenant-qx""#,
                r#""namespace":7"#,
                Claim::Namespace,
            ),
            (
                r#""name":"builder-zq""#,
                r#""name":{"a":"builder-zq"}"#,
                Claim::ServiceAccountName,
            ),
            (r#""exp":1767229200"#, r#""exp":"1767229200""#, Claim::Exp),
            (r#""exp":1767229200"#, r#""exp":null"#, Claim::Exp),
            (
                r#"["registry.example.org"]"#,
                r#"["registry.example.org",5]"#,
                Claim::Aud,
            ),
            (r#"["registry.example.org"]"#, r#"{"a":1}"#, Claim::Aud),
            (r#"["registry.example.org"]"#, "true", Claim::Aud),
        ];
        for (from, to, claim) in cases {
            let c = edited(from, to);
            assert_eq!(
                check(&c).err(),
                Some(TokenError::ClaimWrongType(claim)),
                "{to}"
            );
        }
        let k8s_string = r#"{"sub":"system:serviceaccount:a:b","kubernetes.io":"a"}"#;
        assert_eq!(
            claims(jwt(k8s_string).as_bytes(), NOW, None).err(),
            Some(TokenError::ClaimWrongType(Claim::Kubernetes))
        );
        let sa_string = r#"{"sub":"system:serviceaccount:a:b","kubernetes.io":{"namespace":"a","serviceaccount":"b"}}"#;
        assert_eq!(
            claims(jwt(sa_string).as_bytes(), NOW, None).err(),
            Some(TokenError::ClaimWrongType(Claim::ServiceAccount))
        );
    }

    #[test]
    fn refuses_a_claim_given_twice() {
        let sub = r#""sub":"system:serviceaccount:tenant-qx:builder-zq""#;
        let c = edited(
            sub,
            &format!(r#"{sub},"sub":"system:serviceaccount:other:x""#),
        );
        assert_eq!(
            check(&c).err(),
            Some(TokenError::ClaimDuplicate(Claim::Sub))
        );
        let ns = r#""namespace":"tenant-qx""#;
        let c = edited(ns, &format!(r#"{ns},"namespace":"other""#));
        assert_eq!(
            check(&c).err(),
            Some(TokenError::ClaimDuplicate(Claim::Namespace))
        );
    }

    #[test]
    fn refuses_a_token_that_is_not_three_segments() {
        let good = jwt(&real_claims());
        let mut parts = good.split('.');
        let (h, p, s) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        for (token, segments) in [
            (String::new(), 1),
            (format!("{h}.{p}"), 2),
            (format!("{h}.{p}.{s}.{s}"), 4),
            (format!("{h}{p}{s}"), 1),
            (format!("{good}."), 4),
        ] {
            assert_eq!(
                claims(token.as_bytes(), NOW, None).err(),
                Some(TokenError::NotThreeSegments { segments }),
            );
        }
    }

    /// `s` with the byte at `i` replaced by `c`.
    fn spoiled(s: &str, i: usize, c: char) -> String {
        format!("{}{c}{}", &s[..i], &s[i + 1..])
    }

    #[test]
    fn refuses_bad_base64url_naming_the_segment() {
        let good = jwt(&real_claims());
        let mut parts = good.split('.');
        let (h, p, s) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let bad = |segment, position| TokenError::BadBase64 {
            segment,
            problem: Base64Error::InvalidByte { position },
        };
        let cases: Vec<(String, TokenError)> = vec![
            (
                format!(".{p}.{s}"),
                TokenError::EmptySegment(Segment::Header),
            ),
            (
                format!("{h}..{s}"),
                TokenError::EmptySegment(Segment::Payload),
            ),
            (
                format!("{h}.{p}."),
                TokenError::EmptySegment(Segment::Signature),
            ),
            (
                format!("{}.{p}.{s}", spoiled(h, 2, '+')),
                bad(Segment::Header, 2),
            ),
            (
                format!("{h}.{}.{s}", spoiled(p, 4, '/')),
                bad(Segment::Payload, 4),
            ),
            (
                format!("{h}.{}.{s}", spoiled(p, 9, ' ')),
                bad(Segment::Payload, 9),
            ),
            (
                format!("{h}.{p}.{}", spoiled(s, 0, '\n')),
                bad(Segment::Signature, 0),
            ),
            (
                format!("{h}.{p}.{s}AAA"),
                TokenError::BadBase64 {
                    segment: Segment::Signature,
                    problem: Base64Error::BadLength,
                },
            ),
            (
                format!("{h}.{p}.{}", encode(SIGNATURE, Alphabet::UrlSafe, true)),
                TokenError::BadBase64 {
                    segment: Segment::Signature,
                    problem: Base64Error::BadPadding,
                },
            ),
        ];
        for (token, want) in cases {
            assert_eq!(
                claims(token.as_bytes(), NOW, None).err(),
                Some(want),
                "{token}"
            );
        }
    }

    #[test]
    fn refuses_a_payload_that_is_too_large() {
        let pad = "x".repeat(MAX_PAYLOAD_BYTES);
        let c = real_claims().replacen('{', &format!(r#"{{"pad":"{pad}","#), 1);
        assert_eq!(check(&c).err(), Some(TokenError::PayloadTooLarge));
        let fits = real_claims();
        let room = MAX_PAYLOAD_BYTES - fits.len() - r#""pad":"","#.len();
        let c = fits.replacen('{', &format!(r#"{{"pad":"{}","#, "x".repeat(room)), 1);
        assert_eq!(c.len(), MAX_PAYLOAD_BYTES);
        assert!(check(&c).is_ok());
    }

    #[test]
    fn refuses_a_payload_that_is_not_a_json_object() {
        for (payload, want) in [
            ("not json", TokenError::PayloadNotJson),
            (r#"{"sub":"#, TokenError::PayloadNotJson),
            ("{} {}", TokenError::PayloadNotJson),
            (r#"["sub"]"#, TokenError::PayloadNotObject),
            (r#""sub""#, TokenError::PayloadNotObject),
            ("null", TokenError::PayloadNotObject),
        ] {
            assert_eq!(
                claims(jwt(payload).as_bytes(), NOW, None).err(),
                Some(want),
                "{payload}"
            );
        }
        let not_utf8 = format!(
            "{}.{}.{}",
            segment(HEADER.as_bytes()),
            segment(b"{\"sub\":\"\xff\"}"),
            segment(SIGNATURE)
        );
        assert_eq!(
            claims(not_utf8.as_bytes(), NOW, None).err(),
            Some(TokenError::PayloadNotJson)
        );
    }

    /// Every variant, produced from a real-shaped token, and its message:
    /// none holds the token, a segment of it, or any claim value.
    #[test]
    fn error_messages_never_hold_the_token_or_a_claim_value() {
        let sub = r#""sub":"system:serviceaccount:tenant-qx:builder-zq""#;
        let exp = format!(r#""exp":{}"#, NOW + 3600);
        let aud = format!(r#""aud":["{AUDIENCE}"]"#);
        let claim_sets = [
            edited(sub, r#""sub":"system:serviceaccount:tenant-qx:other-zq""#),
            real_claims().replace("tenant-qx", "Tenant-QX"),
            real_claims().replace("builder-zq", "Builder-ZQ"),
            edited(&exp, &format!(r#""exp":{}"#, NOW - 3600)),
            edited(&aud, r#""aud":["other-audience-zq"]"#),
            edited(&aud, r#""x":1"#),
            edited(sub, r#""sub":17"#),
            edited(sub, &format!(r#"{sub},{sub}"#)),
            r#"["tenant-qx","builder-zq"]"#.to_owned(),
            "tenant-qx builder-zq".to_owned(),
            real_claims().replacen(
                '{',
                &format!(r#"{{"pad":"{}","#, "z".repeat(MAX_PAYLOAD_BYTES)),
                1,
            ),
        ];
        let mut tokens: Vec<String> = claim_sets.iter().map(|c| jwt(c)).collect();
        let good = jwt(&real_claims());
        tokens.push(good.replacen('.', "", 1));
        tokens.push(format!("{good}~"));
        tokens.push(good.replacen('.', "..", 1));
        tokens.push(format!(".{}", good.split_once('.').unwrap().1));
        tokens.push(format!("{good}AA=="));
        let mut variants = Vec::new();
        for token in &tokens {
            let e = claims(token.as_bytes(), NOW, Some(AUDIENCE)).unwrap_err();
            let text = e.to_string();
            for secret in [
                token.as_str(),
                "tenant-qx",
                "Tenant-QX",
                "builder-zq",
                "Builder-ZQ",
                "other-zq",
                "other-audience-zq",
                AUDIENCE,
                "worker-zq",
                "kubernetes.default.svc",
                "6f0b6d1e",
            ] {
                assert!(!text.contains(secret), "{text} holds {secret}");
            }
            for part in token.split('.').filter(|p| p.len() >= 8) {
                assert!(!text.contains(part), "{text} holds a token segment");
            }
            assert!(!text.contains('{') && !text.contains('"'), "{text}");
            assert!(text.starts_with("the service-account token"), "{text}");
            let d = core::mem::discriminant(&e);
            if !variants.contains(&d) {
                variants.push(d);
            }
        }
        assert_eq!(variants.len(), 14, "every variant is covered");
    }
}

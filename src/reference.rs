//! Image references, parsed by hand with the exact semantics of
//! distribution/reference `Parse` and `ParseNormalizedNamed` (the functions the
//! kubelet uses to make the `image` it sends us). The `image` field is chosen by
//! anyone who can create a pod, so nothing downstream sees raw request text: it
//! sees a [`Domain`] and a [`RepoPath`] that passed this grammar, and those can
//! never hold `/` (domain), `..`, NUL, whitespace or non-ASCII bytes.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use core::fmt;

/// Longest repository path, in bytes, after normalization (`reference.go`
/// `RepositoryNameTotalLengthMax`; the domain does not count since v0.6.0).
pub const MAX_PATH_BYTES: usize = 255;
/// Longest tag, in bytes (`[\w][\w.-]{0,127}`).
pub const MAX_TAG_BYTES: usize = 128;
/// Fewest hex digits the reference grammar accepts in a digest.
const MIN_DIGEST_HEX: usize = 32;
/// Hex digits of a sha256 digest and of a bare image identifier.
const SHA256_HEX: usize = 64;
/// Hex digits of a sha384 digest.
const SHA384_HEX: usize = 96;
/// Hex digits of a sha512 digest.
const SHA512_HEX: usize = 128;

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_REPO_PREFIX: &str = "library/";

/// Why a reference was refused; the kinds and texts are upstream's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReferenceError {
    /// `ErrNameEmpty`.
    NameEmpty,
    /// `ErrReferenceInvalidFormat`.
    InvalidFormat,
    /// `ErrNameContainsUppercase`.
    NameContainsUppercase,
    /// `ErrNameTooLong`.
    NameTooLong,
    /// `digest.ErrDigestUnsupported`.
    DigestUnsupported,
    /// `digest.ErrDigestInvalidLength`.
    DigestInvalidLength,
    /// `digest.ErrDigestInvalidFormat`.
    DigestInvalidFormat,
    /// `ParseNormalizedNamed`: a bare 64-hex identifier.
    HexIdentifier,
    /// `ParseNormalizedNamed`: the repository name has uppercase letters.
    RepositoryNotLowercase,
}

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NameEmpty => "repository name must have at least one component",
            Self::InvalidFormat => "invalid reference format",
            Self::NameContainsUppercase => "repository name must be lowercase",
            Self::NameTooLong => "repository name must not be more than 255 characters",
            Self::DigestUnsupported => "unsupported digest algorithm",
            Self::DigestInvalidLength => "invalid checksum digest length",
            Self::DigestInvalidFormat => "invalid checksum digest format",
            Self::HexIdentifier => "cannot specify 64-byte hexadecimal strings",
            Self::RepositoryNotLowercase => "repository name must be lowercase",
        })
    }
}

/// A registry host with an optional port, exactly as written (`HOST-PORT`):
/// DNS-like labels of `[A-Za-z0-9-]` or a bracketed IPv6 literal, then
/// optionally `:` and digits. Never contains `/`, NUL or whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain(String);

/// A repository path: `/`-separated components of `[a-z0-9]` joined by `.`,
/// `_`, `__` or runs of `-`. No component is empty, `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoPath(String);

/// A parsed reference. Tags and digests are kept only so that a reference
/// can be printed back; the plugin ignores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    domain: Option<Domain>,
    path: RepoPath,
    tag: Option<String>,
    digest: Option<String>,
}

impl Domain {
    /// Validates `s` against the `HOST-PORT` grammar.
    pub fn parse(s: &str) -> Option<Self> {
        is_host_port(s).then(|| Self(s.to_owned()))
    }

    /// The domain as written, with port.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host: everything before the port (brackets kept for IPv6).
    pub fn host(&self) -> &str {
        self.split().0
    }

    /// The port digits, if a port was written.
    pub fn port(&self) -> Option<&str> {
        self.split().1
    }

    fn split(&self) -> (&str, Option<&str>) {
        let s = self.0.as_str();
        let host_end = if s.starts_with('[') {
            s.find(']').map_or(s.len(), |i| i + 1)
        } else {
            s.find(':').unwrap_or(s.len())
        };
        let (host, rest) = s.split_at(host_end);
        (host, rest.strip_prefix(':'))
    }

    /// The credential-file stem for this domain: the host lowercased, the port
    /// kept (`Registry.Example.org:5000` → `registry.example.org:5000`).
    pub fn file_stem(&self) -> String {
        let mut stem = self.host().to_ascii_lowercase();
        if let Some(port) = self.port() {
            stem.push(':');
            stem.push_str(port);
        }
        stem
    }

    /// The wildcard stem `*.<parent>` (host without its first DNS label,
    /// lowercased, port kept), or `None` for a single label or an IPv6 literal,
    /// which have no parent.
    pub fn wildcard_stem(&self) -> Option<String> {
        let host = self.host();
        if host.starts_with('[') {
            return None;
        }
        let (_, parent) = host.split_once('.')?;
        let mut stem = format!("*.{}", parent.to_ascii_lowercase());
        if let Some(port) = self.port() {
            stem.push(':');
            stem.push_str(port);
        }
        Some(stem)
    }
}

impl RepoPath {
    /// The path as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `/`-separated components.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// Whether `s` is one valid path component (`check` uses it on names
    /// in repository directories).
    pub(crate) fn is_component(s: &str) -> bool {
        is_path_component(s)
    }
}

impl Reference {
    /// The domain, if the reference has one.
    pub fn domain(&self) -> Option<&Domain> {
        self.domain.as_ref()
    }

    /// The repository path.
    pub fn path(&self) -> &RepoPath {
        &self.path
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The same repository path on another registry (a mirror's), without
    /// tag or digest.
    pub(crate) fn on_registry(&self, domain: &Domain) -> Self {
        Self {
            domain: Some(domain.clone()),
            path: self.path.clone(),
            tag: None,
            digest: None,
        }
    }

    /// `[domain "/"] path`: the name the kubelet matches and caches by.
    pub fn name(&self) -> String {
        match &self.domain {
            Some(d) => format!("{}/{}", d.as_str(), self.path.as_str()),
            None => self.path.as_str().to_owned(),
        }
    }
}

impl fmt::Display for Reference {
    /// `[domain "/"] path [":" tag] ["@" digest]`, which reproduces the input of
    /// [`parse`] exactly.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(d) = &self.domain {
            write!(f, "{}/", d.as_str())?;
        }
        f.write_str(self.path.as_str())?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// The syntactic parts of a reference, borrowed from the input.
struct Parts<'a> {
    domain: Option<&'a str>,
    path: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// distribution/reference `Parse`: the raw grammar, with no docker.io
/// normalization. A first component that looks like a host is the domain.
pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::NameEmpty);
    }
    let Some(parts) = split_syntax(s) else {
        // Upstream retries the lowercased input only to choose the error kind.
        let lower = go_lower(s);
        return Err(if lower != s && split_syntax(&lower).is_some() {
            ReferenceError::NameContainsUppercase
        } else {
            ReferenceError::InvalidFormat
        });
    };
    if parts.path.len() > MAX_PATH_BYTES {
        return Err(ReferenceError::NameTooLong);
    }
    if let Some(digest) = parts.digest {
        validate_digest(digest)?;
    }
    Ok(Reference {
        domain: parts.domain.map(|d| Domain(d.to_owned())),
        path: RepoPath(parts.path.to_owned()),
        tag: parts.tag.map(str::to_owned),
        digest: parts.digest.map(str::to_owned),
    })
}

/// distribution/reference `ParseNormalizedNamed`: bare names become
/// `docker.io/library/<name>`, Docker Hub namespaces get `docker.io/`, and
/// `index.docker.io` becomes `docker.io`. This is how the kubelet builds the
/// `image` it sends, so the result's [`Reference::name`] is what it matches.
pub fn parse_normalized_named(s: &str) -> Result<Reference, ReferenceError> {
    if s.len() == SHA256_HEX && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ReferenceError::HexIdentifier);
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote = remainder.split(':').next().unwrap_or_default();
    if has_uppercase(remote) {
        return Err(ReferenceError::RepositoryNotLowercase);
    }
    parse(&format!("{domain}/{remainder}"))
}

/// `splitDockerDomain` (`normalize.go`): decides whether the first component is
/// a registry or a Docker Hub namespace.
fn split_docker_domain(name: &str) -> (&str, String) {
    let Some((maybe_domain, maybe_remote)) = name.split_once('/') else {
        return (DEFAULT_DOMAIN, format!("{OFFICIAL_REPO_PREFIX}{name}"));
    };
    let (domain, remote) = if maybe_domain == "localhost" {
        (maybe_domain, maybe_remote)
    } else if maybe_domain == LEGACY_DEFAULT_DOMAIN {
        (DEFAULT_DOMAIN, maybe_remote)
    } else if maybe_domain.contains(['.', ':']) || has_uppercase(maybe_domain) {
        (maybe_domain, maybe_remote)
    } else {
        (DEFAULT_DOMAIN, name)
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        (domain, format!("{OFFICIAL_REPO_PREFIX}{remote}"))
    } else {
        (domain, remote.to_owned())
    }
}

/// Go's `strings.ToLower(s) != s`.
fn has_uppercase(s: &str) -> bool {
    s.chars().any(|c| {
        let mut lower = c.to_lowercase();
        !(lower.next() == Some(c) && lower.next().is_none())
    })
}

/// Go's `strings.ToLower` restricted to what can turn an invalid reference into
/// a valid one: ASCII letters, U+0130 (İ → i) and U+212A (Kelvin → k). Every
/// other non-ASCII character stays non-ASCII and invalid either way.
fn go_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{0130}' => 'i',
            '\u{212A}' => 'k',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Steps 2 to 4 of the regex-free `Parse`: digest, tag, then name.
fn split_syntax(s: &str) -> Option<Parts<'_>> {
    let (left, digest) = match s.split_once('@') {
        Some((left, digest)) => (left, Some(digest)),
        None => (s, None),
    };
    if let Some(d) = digest {
        if !is_digest_syntax(d) {
            return None;
        }
    }
    // A tag holds neither `:` nor `/`, and inside a name a `:` can only be in the
    // first component, so the tag starts after the last `:` if that is past the
    // last `/`.
    let (name, tag) = match left.rfind(':') {
        Some(c) if left.rfind('/').is_none_or(|slash| c > slash) => {
            (left.get(..c)?, Some(left.get(c + 1..)?))
        }
        _ => (left, None),
    };
    if let Some(t) = tag {
        if !is_tag(t) {
            return None;
        }
    }
    let (domain, path) = split_name(name)?;
    Some(Parts {
        domain,
        path,
        tag,
        digest,
    })
}

/// `anchoredNameRegexp`: `[domain "/"] path`, the domain taken greedily
/// whenever the first of two or more components is a valid `HOST-PORT`.
fn split_name(name: &str) -> Option<(Option<&str>, &str)> {
    match name.split_once('/') {
        Some((first, rest)) if is_host_port(first) && is_path(rest) => Some((Some(first), rest)),
        _ if is_path(name) => Some((None, name)),
        _ => None,
    }
}

fn is_path(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn is_path_component(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if !is_lower_alnum(*first) || !is_lower_alnum(*last) {
        return false;
    }
    let mut run_start = None;
    for (i, &b) in bytes.iter().enumerate() {
        if is_lower_alnum(b) {
            if let Some(start) = run_start.take() {
                let sep = bytes.get(start..i).unwrap_or_default();
                if !is_separator(sep) {
                    return false;
                }
            }
        } else if matches!(b, b'.' | b'_' | b'-') {
            run_start.get_or_insert(i);
        } else {
            return false;
        }
    }
    true
}

fn is_separator(sep: &[u8]) -> bool {
    matches!(sep, b"." | b"_" | b"__") || sep.iter().all(|&b| b == b'-')
}

fn is_lower_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `HOST-PORT`: `"[" [0-9A-Fa-f:]+ "]" [":" digits]` or
/// `label ("." label)* [":" digits]`.
fn is_host_port(s: &str) -> bool {
    let (host_ok, rest) = if let Some(rest) = s.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        let ipv6_ok =
            !inside.is_empty() && inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
        (ipv6_ok, after)
    } else {
        let (host, rest) = s.split_at(s.find(':').unwrap_or(s.len()));
        (host.split('.').all(is_domain_label), rest)
    };
    let port_ok = rest.is_empty()
        || rest
            .strip_prefix(':')
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// `[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`
fn is_domain_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && bytes.first() != Some(&b'-')
        && bytes.last() != Some(&b'-')
}

/// `[\w][\w.-]{0,127}` with ASCII `\w`.
fn is_tag(s: &str) -> bool {
    let bytes = s.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match bytes.split_first() {
        Some((&first, rest)) => {
            bytes.len() <= MAX_TAG_BYTES
                && is_word(first)
                && rest.iter().all(|&b| is_word(b) || b == b'.' || b == b'-')
        }
        None => false,
    }
}

/// `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`
fn is_digest_syntax(s: &str) -> bool {
    let Some((alg, hex)) = s.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|c| {
        let b = c.as_bytes();
        b.first().is_some_and(u8::is_ascii_alphabetic) && b.iter().all(u8::is_ascii_alphanumeric)
    });
    alg_ok && hex.len() >= MIN_DIGEST_HEX && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest `Validate` for a digest that already passed [`is_digest_syntax`]:
/// sha256, sha384 and sha512 are available.
///
/// The kubelet's go-digest decides, not go-digest HEAD (whose defaults
/// image-reference.md reads as sha256 and sha512 only): v1.0.0, vendored by
/// Kubernetes and required by distribution/reference v0.6.0, lists sha384 in
/// `algorithm.go`, available whenever `crypto/sha512` is linked, as it is in
/// the kubelet. Revisit when the kubelet vendors a newer release.
fn validate_digest(s: &str) -> Result<(), ReferenceError> {
    let Some((alg, hex)) = s.split_once(':') else {
        return Err(ReferenceError::DigestInvalidFormat);
    };
    let expected = match alg {
        "sha256" => SHA256_HEX,
        "sha384" => SHA384_HEX,
        "sha512" => SHA512_HEX,
        _ if is_oci_digest(s) => return Err(ReferenceError::DigestUnsupported),
        _ => return Err(ReferenceError::DigestInvalidFormat),
    };
    if hex.len() != expected {
        return Err(ReferenceError::DigestInvalidLength);
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ReferenceError::DigestInvalidFormat);
    }
    Ok(())
}

/// go-digest `DigestRegexpAnchored`: `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`.
fn is_oci_digest(s: &str) -> bool {
    let Some((alg, encoded)) = s.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['.', '+', '_', '-']).all(|c| {
        !c.is_empty()
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    alg_ok
        && !encoded.is_empty()
        && encoded
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
}

#[cfg(test)]
#[path = "reference_tests.rs"]
mod tests;

//! A port of the kubelet's image matcher (kubernetes `pkg/credentialprovider/
//! keyring.go`: `ParseSchemelessURL`, `SplitURL`, `URLsMatch`, and the key
//! normalization of `BasicDockerKeyring.Add` and `Lookup`), with the parts of
//! Go's `net/url.Parse`, `net/netip.ParseAddr`, `net.SplitHostPort` and
//! `path/filepath.Match` it rests on. The plugin runs every answer through it
//! before printing, so an answer the kubelet would silently ignore (a missing
//! port, a wrong host) is caught here instead.
//!
//! Go strings are byte strings, and `url.Parse` decodes `%ff` to the byte
//! 0xff, so hosts, paths and keys are bytes here ([`GoUrl`]); only [`Url`],
//! the text form `check` keeps, is lossy.
//!
//! `url.Parse` is followed as Go 1.25.8 and 1.26.1 have it: brackets in a
//! host only around an IPv6 address at its start (CVE-2025-47912 in Go
//! 1.24.8, CVE-2026-25679 in Go 1.25.8), colons not strict (`urlstrictcolons`,
//! see [`parse_host`]).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The parts of a parsed URL the matcher looks at, as Go holds them: bytes,
/// percent-decoded, borrowed from the input when nothing was decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoUrl<'a> {
    /// `u.Host`: host and port.
    pub host: Cow<'a, [u8]>,
    /// `u.Path`.
    pub path: Cow<'a, [u8]>,
}

/// [`GoUrl`] as text, as `check` keeps it: bytes that are not UTF-8 become
/// U+FFFD, so two different hosts can read alike. Exact matching uses
/// [`GoUrl`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `u.Host`: host and port.
    pub host: String,
    /// `u.Path`.
    pub path: String,
}

/// Why Go's `url.Parse` would refuse the input (the kubelet treats any
/// error as "no match", and refuses such a `matchImages` entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// A control byte before the fragment.
    ControlCharacter,
    /// A bad `%` escape.
    BadEscape,
    /// A character not allowed in a host.
    InvalidHost,
    /// A port that is not digits, or text after `]`.
    InvalidPort,
    /// `[` without `]`.
    MissingBracket,
    /// Brackets not at the start of the host, or around something that is
    /// not an IPv6 address.
    InvalidIpLiteral,
    /// Bad characters before `@`.
    InvalidUserinfo,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ControlCharacter => "invalid control character in URL: remove it",
            Self::BadEscape => "invalid URL escape: write % as %25",
            Self::InvalidHost => "invalid character in host name: use letters, digits, - and .",
            Self::InvalidPort => "invalid port after host: a port is digits only",
            Self::MissingBracket => "missing ']' in host: close the IPv6 address",
            Self::InvalidIpLiteral => {
                "invalid IP-literal: brackets in a host only enclose an IPv6 address at its start"
            }
            Self::InvalidUserinfo => "invalid userinfo: drop the text before @",
        })
    }
}

/// A parsed URL and where its host and path came from.
struct Parsed<'a> {
    url: GoUrl<'a>,
    /// The undecoded host and path, adjacent in the input: `host + path`
    /// itself when neither needed decoding.
    raw_host_and_path: &'a [u8],
}

/// Go's `url.Parse` of `scheme://` + `rest`, reduced to host and path (every
/// caller's scheme is `https` or `http`, so `rest` is always an authority
/// followed by a path).
fn parse_after_scheme(rest: &[u8]) -> Result<Parsed<'_>, UrlError> {
    // `Parse` cuts the fragment off first, and `parse` checks for control
    // bytes (`stringContainsCTLByte`) only in what is left: `a#\x01` parses.
    let (url_text, fragment) = match rest.iter().position(|&b| b == b'#') {
        Some(hash) => (
            rest.get(..hash).unwrap_or_default(),
            rest.get(hash + 1..).unwrap_or_default(),
        ),
        None => (rest, &b""[..]),
    };
    if url_text.iter().any(|&b| b < b' ' || b == 0x7f) {
        return Err(UrlError::ControlCharacter);
    }
    let before_query = url_text
        .iter()
        .position(|&b| b == b'?')
        .and_then(|q| url_text.get(..q))
        .unwrap_or(url_text);
    let slash = before_query
        .iter()
        .position(|&b| b == b'/')
        .unwrap_or(before_query.len());
    let (authority, raw_path) = before_query.split_at(slash);
    let at = authority.iter().rposition(|&b| b == b'@');
    let raw_host_and_path = at
        .and_then(|at| before_query.get(at + 1..))
        .unwrap_or(before_query);
    let host = parse_authority(authority, at)?;
    let path = unescape(raw_path, Mode::Other)?;
    validate_escapes(fragment, Mode::Other)?;
    Ok(Parsed {
        url: GoUrl { host, path },
        raw_host_and_path,
    })
}

/// Go's `parseAuthority`: the host after the last `@`, then the userinfo
/// before it, which must be ASCII (`validUserinfo` ranges over runes, so
/// `é` and any byte above 0x7f are refused).
fn parse_authority(authority: &[u8], at: Option<usize>) -> Result<Cow<'_, [u8]>, UrlError> {
    let Some(at) = at else {
        return parse_host(authority);
    };
    let host = parse_host(authority.get(at + 1..).unwrap_or_default())?;
    let userinfo = authority.get(..at).unwrap_or_default();
    if !userinfo.iter().all(|&b| is_userinfo_byte(b)) {
        return Err(UrlError::InvalidUserinfo);
    }
    // Go unescapes the name and the password apart, split at the first `:`;
    // no escape can span a `:`, so checking the whole is the same.
    validate_escapes(userinfo, Mode::Other)?;
    Ok(host)
}

/// Go's `validUserinfo`, byte by byte.
fn is_userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b)
}

/// Go's `parseHost`: `host[:port]`, or a bracketed IPv6 address and port.
///
/// Colons are not strict: the port starts at the last `:`, so `a:1:2` is
/// host `a:1:2`. Go 1.26 takes it from the first `:` for `http`/`https` URLs
/// (`a:1:2` is then an error) under `GODEBUG=urlstrictcolons=1`, which is the
/// default only for a main module whose go.mod says `go 1.26` or later;
/// Kubernetes' go.mod does not yet, so its kubelets run with
/// `urlstrictcolons=0`. Switch to the first colon when it does.
fn parse_host(host: &[u8]) -> Result<Cow<'_, [u8]>, UrlError> {
    match host.iter().rposition(|&b| b == b'[') {
        // CVE-2026-25679: text before the bracket was dropped until Go
        // 1.25.8 and 1.26.1 (and `reg[a-z]stry.io` was a glob class before
        // Go 1.24.8).
        Some(open) if open > 0 => Err(UrlError::InvalidIpLiteral),
        Some(_) => parse_ip_literal(host),
        None => {
            if let Some(colon) = host.iter().rposition(|&b| b == b':') {
                if !valid_optional_port(host.get(colon..).unwrap_or_default()) {
                    return Err(UrlError::InvalidPort);
                }
            }
            unescape(host, Mode::Host)
        }
    }
}

/// The IP-literal branch of Go's `parseHost` for a host that starts with
/// `[`: an optional port after the last `]`; inside, an address unescaped as
/// a host and, from the first `%25`, a zone unescaped as a zone (RFC 6874,
/// so `%41` is allowed there); then `netip.ParseAddr` must give an IPv6
/// address (CVE-2025-47912, Go 1.24.8: not IPv4, not a name, not a glob).
fn parse_ip_literal(host: &[u8]) -> Result<Cow<'_, [u8]>, UrlError> {
    let close = host
        .iter()
        .rposition(|&b| b == b']')
        .ok_or(UrlError::MissingBracket)?;
    let colon_port = host.get(close + 1..).unwrap_or_default();
    if !valid_optional_port(colon_port) {
        return Err(UrlError::InvalidPort);
    }
    let hostname = host.get(1..close).unwrap_or_default();
    let (address, zone) = hostname
        .windows(ZONE_INTRODUCER.len())
        .position(|w| w == ZONE_INTRODUCER)
        .map_or((hostname, &b""[..]), |z| hostname.split_at(z));
    let address = unescape(address, Mode::Host)?;
    let zone = unescape(zone, Mode::Zone)?;
    if !parse_addr_is_ipv6(&address, &zone) {
        return Err(UrlError::InvalidIpLiteral);
    }
    if matches!((&address, &zone), (Cow::Borrowed(_), Cow::Borrowed(_))) {
        return Ok(Cow::Borrowed(host));
    }
    let mut decoded = Vec::with_capacity(host.len());
    decoded.push(b'[');
    decoded.extend_from_slice(&address);
    decoded.extend_from_slice(&zone);
    decoded.push(b']');
    decoded.extend_from_slice(colon_port);
    Ok(Cow::Owned(decoded))
}

/// `%25`, an escaped `%`, which starts the zone of an IPv6 literal.
const ZONE_INTRODUCER: &[u8] = b"%25";

/// Whether `netip.ParseAddr(address + zone)` succeeds with an address that
/// is not IPv4 (`parseHost` refuses `Is4`). `zone` is empty or starts with
/// the `%` decoded from `%25`; `address` holds no `%` (it ends before the
/// first `%25`, and in a host no other escape decodes to `%`).
fn parse_addr_is_ipv6(address: &[u8], zone: &[u8]) -> bool {
    // `ParseAddr` dispatches on the first `.`, `:` or `%`: a `.` means IPv4
    // (refused either way), a `%` or none of them is an error.
    if address.iter().find(|&&b| b == b'.' || b == b':') != Some(&b':') {
        return false;
    }
    // `parseIPv6`: an explicit zone must not be empty.
    if zone.len() == 1 {
        return false;
    }
    parse_ipv6(address)
}

/// Bytes in an IPv6 address.
const IPV6_BYTES: usize = 16;
/// Bytes an embedded IPv4 address replaces at the end of an IPv6 address.
const IPV4_BYTES: usize = 4;
/// Most hex digits in one group of an IPv6 address.
const MAX_GROUP_DIGITS: usize = 4;

/// Go's `netip.parseIPv6` without the zone: groups of one to four hex
/// digits, at most one `::`, an optional trailing IPv4 address.
fn parse_ipv6(address: &[u8]) -> bool {
    let mut s = address;
    let mut ellipsis = None;
    if let Some(rest) = s.strip_prefix(b"::") {
        ellipsis = Some(0);
        s = rest;
        if s.is_empty() {
            return true;
        }
    }
    let mut i = 0;
    while i < IPV6_BYTES {
        let digits = s.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        if digits == 0 || digits > MAX_GROUP_DIGITS {
            return false;
        }
        if s.get(digits) == Some(&b'.') {
            if (ellipsis.is_none() && i != IPV6_BYTES - IPV4_BYTES) || i + IPV4_BYTES > IPV6_BYTES {
                return false;
            }
            if !is_ipv4(s) {
                return false;
            }
            s = b"";
            i += IPV4_BYTES;
            break;
        }
        i += 2;
        s = s.get(digits..).unwrap_or_default();
        let Some((&colon, rest)) = s.split_first() else {
            break;
        };
        if colon != b':' || rest.is_empty() {
            return false;
        }
        s = rest;
        if let Some(rest) = s.strip_prefix(b":") {
            if ellipsis.is_some() {
                return false;
            }
            ellipsis = Some(i);
            s = rest;
            if s.is_empty() {
                break;
            }
        }
    }
    // The whole text is used; fewer than 16 bytes need a `::`, which must
    // stand for at least one group.
    s.is_empty() && (i < IPV6_BYTES) == ellipsis.is_some()
}

/// Go's `netip.parseIPv4Fields`: four decimal fields of at most 255, no
/// leading zeros.
fn is_ipv4(s: &[u8]) -> bool {
    let mut fields = 0;
    for field in s.split(|&b| b == b'.') {
        fields += 1;
        let value = field.iter().try_fold(0u16, |acc, &b| {
            b.is_ascii_digit()
                .then(|| acc * 10 + u16::from(b - b'0'))
                .filter(|&v| v <= u16::from(u8::MAX))
        });
        let leading_zero = field.len() > 1 && field.first() == Some(&b'0');
        if field.is_empty() || value.is_none() || leading_zero {
            return false;
        }
    }
    fields == IPV4_BYTES
}

/// `""`, or `:` followed by digits (possibly none).
fn valid_optional_port(port: &[u8]) -> bool {
    match port.split_first() {
        None => true,
        Some((&b':', digits)) => digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `encodeHost`: only `%25` may encode a byte below 0x80.
    Host,
    /// `encodeZone`: an escape must decode to a byte a host may hold raw.
    Zone,
    /// Path, fragment, userinfo: any well-formed escape.
    Other,
}

/// Go's `shouldEscape(c, encodeHost)` (and `encodeZone`, the same set) for
/// ASCII: true means the byte may not appear raw in a host.
fn host_byte_needs_escape(b: u8) -> bool {
    !(b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&b))
}

/// The first pass of Go's `unescape`: every `%` starts two hex digits, and
/// in a host or zone every escape and raw ASCII byte is allowed there.
/// Returns the number of escapes.
fn validate_escapes(s: &[u8], mode: Mode) -> Result<usize, UrlError> {
    let mut escapes = 0;
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b == b'%' {
            let (Some(hi), Some(lo)) = (
                s.get(i + 1).and_then(|&h| unhex(h)),
                s.get(i + 2).and_then(|&l| unhex(l)),
            ) else {
                return Err(UrlError::BadEscape);
            };
            let is_percent = s.get(i..i + 3) == Some(ZONE_INTRODUCER);
            let allowed = match mode {
                Mode::Host => hi >= 8 || is_percent,
                Mode::Zone => {
                    let v = hi << 4 | lo;
                    is_percent || v == b' ' || (v.is_ascii() && !host_byte_needs_escape(v))
                }
                Mode::Other => true,
            };
            if !allowed {
                return Err(UrlError::BadEscape);
            }
            escapes += 1;
            i += 3;
        } else {
            if mode != Mode::Other && b.is_ascii() && host_byte_needs_escape(b) {
                return Err(UrlError::InvalidHost);
            }
            i += 1;
        }
    }
    Ok(escapes)
}

/// Go's `unescape`: decodes `%XX` to the byte 0xXX (any byte, UTF-8 or
/// not); borrows when there is nothing to decode.
fn unescape(s: &[u8], mode: Mode) -> Result<Cow<'_, [u8]>, UrlError> {
    let escapes = validate_escapes(s, mode)?;
    if escapes == 0 {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = Vec::with_capacity(s.len().saturating_sub(2 * escapes));
    let mut rest = s;
    while let Some((&b, tail)) = rest.split_first() {
        let escaped = match (b, tail) {
            (b'%', [h, l, ..]) => unhex(*h).zip(unhex(*l)),
            _ => None,
        };
        match escaped {
            Some((hi, lo)) => {
                out.push(hi << 4 | lo);
                rest = tail.get(2..).unwrap_or_default();
            }
            None => {
                out.push(b);
                rest = tail;
            }
        }
    }
    Ok(Cow::Owned(out))
}

fn unhex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `ParseSchemelessURL`: `url.Parse("https://" + s)`, without building that
/// string.
pub fn parse_schemeless(s: &[u8]) -> Result<GoUrl<'_>, UrlError> {
    parse_after_scheme(s).map(|parsed| parsed.url)
}

/// [`parse_schemeless`] as text, for reports.
pub fn parse_schemeless_url(s: &str) -> Result<Url, UrlError> {
    let url = parse_schemeless(s.as_bytes())?;
    Ok(Url {
        host: String::from_utf8_lossy(&url.host).into_owned(),
        path: String::from_utf8_lossy(&url.path).into_owned(),
    })
}

/// Go's `net.SplitHostPort`; `None` where it returns an error.
fn split_host_port(hostport: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = hostport.iter().rposition(|&b| b == b':')?;
    let (host, inner_start, inner_end) = if hostport.first() == Some(&b'[') {
        let end = hostport.iter().position(|&b| b == b']')?;
        if end + 1 != colon {
            return None;
        }
        (hostport.get(1..end)?, 1, end + 1)
    } else {
        let host = hostport.get(..colon)?;
        if host.contains(&b':') {
            return None;
        }
        (host, 0, 0)
    };
    if hostport.get(inner_start..)?.contains(&b'[') || hostport.get(inner_end..)?.contains(&b']') {
        return None;
    }
    Some((host, hostport.get(colon + 1..)?))
}

/// `SplitURL`: host labels and port; without a valid port the whole host is
/// the host and the port is empty.
fn split_url(host: &[u8]) -> (&[u8], &[u8]) {
    split_host_port(host).unwrap_or((host, b""))
}

fn labels(host: &[u8]) -> impl Iterator<Item = &[u8]> {
    host.split(|&b| b == b'.')
}

/// `URLsMatch`: same port, same number of labels, the target path starts
/// with the glob path (plain byte prefix), and each label matches as a
/// `filepath.Match` pattern. A malformed pattern is no match.
pub(crate) fn go_urls_match(glob: &GoUrl<'_>, target: &GoUrl<'_>) -> bool {
    let (glob_host, glob_port) = split_url(&glob.host);
    let (target_host, target_port) = split_url(&target.host);
    glob_port == target_port
        && labels(glob_host).count() == labels(target_host).count()
        && target.path.starts_with(&glob.path)
        && labels(glob_host)
            .zip(labels(target_host))
            .all(|(g, t)| glob_match_bytes(g, t) == Ok(true))
}

/// [`go_urls_match`] on the text form; exact only where both are UTF-8.
pub fn urls_match(glob: &Url, target: &Url) -> bool {
    go_urls_match(&glob.as_go(), &target.as_go())
}

impl Url {
    fn as_go(&self) -> GoUrl<'_> {
        GoUrl {
            host: Cow::Borrowed(self.host.as_bytes()),
            path: Cow::Borrowed(self.path.as_bytes()),
        }
    }
}

/// `URLsMatchStr`, with errors counted as no match as the kubelet does.
fn urls_match_bytes(glob: &[u8], target: &[u8]) -> bool {
    match (parse_schemeless(glob), parse_schemeless(target)) {
        (Ok(g), Ok(t)) => go_urls_match(&g, &t),
        _ => false,
    }
}

/// `URLsMatchStr`, with errors counted as no match as the kubelet does.
pub fn urls_match_str(glob: &str, target: &str) -> bool {
    urls_match_bytes(glob.as_bytes(), target.as_bytes())
}

/// `BasicDockerKeyring.Add`'s normalization of an `auth` key: an implied
/// `https://`, `/v1/` and `/v2/` prefixes dropped, host plus path, as Go's
/// bytes. `None` if the kubelet would drop the key as unparsable. Borrows
/// the key when nothing was decoded or dropped.
fn normalize_auth_key_bytes(key: &[u8]) -> Option<Cow<'_, [u8]>> {
    let rest = key
        .strip_prefix(b"https://")
        .or_else(|| key.strip_prefix(b"http://"))
        .unwrap_or(key);
    let Parsed {
        url: GoUrl { host, path },
        raw_host_and_path,
    } = parse_after_scheme(rest).ok()?;
    let dropped_version = path.starts_with(b"/v2/") || path.starts_with(b"/v1/");
    let effective = if dropped_version {
        path.get(3..)?
    } else {
        &path
    };
    if effective.is_empty() || effective == b"/" {
        return Some(host);
    }
    if !dropped_version && matches!((&host, &path), (Cow::Borrowed(_), Cow::Borrowed(_))) {
        return Some(Cow::Borrowed(raw_host_and_path));
    }
    let mut joined = Vec::with_capacity(host.len() + effective.len());
    joined.extend_from_slice(&host);
    joined.extend_from_slice(effective);
    Some(Cow::Owned(joined))
}

/// [`normalize_auth_key_bytes`] for a key given as text.
pub fn normalize_auth_key(key: &str) -> Option<Vec<u8>> {
    normalize_auth_key_bytes(key.as_bytes()).map(Cow::into_owned)
}

/// The Docker Hub key the keyring falls back to when nothing else matched.
#[cfg(test)]
const DEFAULT_REGISTRY_KEY: &[u8] = b"index.docker.io";

/// `isDefaultRegistryMatch`: images the Docker Hub fallback key applies to.
#[cfg(test)]
fn is_default_registry_match(image: &str) -> bool {
    let mut parts = image.splitn(2, '/');
    let first = parts.next().unwrap_or_default();
    if first.is_empty() {
        return false;
    }
    parts.next().is_none()
        || first == "docker.io"
        || first.as_bytes() == DEFAULT_REGISTRY_KEY
        || !first.contains(['.', ':'])
}

#[cfg(test)]
/// A port of `BasicDockerKeyring`: keys added with their credential's index,
/// looked up in the kubelet's order (reverse-lexical keys).
#[derive(Debug, Default)]
pub struct Keyring {
    entries: Vec<(Vec<u8>, usize)>,
}

#[cfg(test)]
impl Keyring {
    /// `Add`: stores the normalized key, or drops it as the kubelet would.
    pub fn add(&mut self, key: &str, id: usize) {
        if let Some(k) = normalize_auth_key(key) {
            // Reverse-lexical order of Go's byte strings, as the kubelet
            // sorts its index.
            let at = self.entries.partition_point(|(e, _)| *e >= k);
            self.entries.insert(at, (k, id));
        }
    }

    /// `Lookup`: the ids of every matching key, else the Docker Hub fallback.
    pub fn lookup(&self, image: &str) -> Vec<usize> {
        let hits: Vec<usize> = self
            .entries
            .iter()
            .filter(|(k, _)| urls_match_bytes(k, image.as_bytes()))
            .map(|(_, id)| *id)
            .collect();
        if !hits.is_empty() || !is_default_registry_match(image) {
            return hits;
        }
        self.entries
            .iter()
            .filter(|(k, _)| k == DEFAULT_REGISTRY_KEY)
            .map(|(_, id)| *id)
            .collect()
    }
}

/// Whether the kubelet would use an answer keyed `key` for `image` (the
/// image's name, `domain/path`): the check every answer passes before it is
/// printed. Allocates only if the key or image holds `%` escapes.
pub fn answer_matches(key: &str, image: &str) -> bool {
    // `Add` then a direct `URLsMatchStr` hit in `Lookup` (the Docker Hub
    // fallback only applies to `index.docker.io` keys, which we never emit).
    normalize_auth_key_bytes(key.as_bytes()).is_some_and(|k| urls_match_bytes(&k, image.as_bytes()))
}

/// A malformed `filepath.Match` pattern (`ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

impl fmt::Display for BadPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("syntax error in pattern: close every [ class and end no pattern with \\")
    }
}

/// Go's `path/filepath.Match` on Unix: `*` (not across `/`), `?`, `[...]`
/// classes with `^` and ranges, `\` escapes; errors for malformed patterns.
#[cfg(any(test, fuzzing))]
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    glob_match_bytes(pattern.as_bytes(), name.as_bytes())
}

/// `glob_match` on Go's byte strings: runes are decoded only where Go
/// decodes them (a class, `?`).
///
/// Unlike `path.Match`, `filepath.Match` does not check the rest of the
/// pattern before it reports a mismatch, so `a*[` against `b` is no match,
/// not an error.
fn glob_match_bytes(pattern: &[u8], name: &[u8]) -> Result<bool, BadPattern> {
    let mut pattern = pattern;
    let mut name = name;
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains(&b'/'));
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            let mut i = 0;
            while name.get(i).is_some_and(|&b| b != b'/') {
                let (t, ok) = match_chunk(chunk, name.get(i + 1..).unwrap_or_default())?;
                if ok {
                    if pattern.is_empty() && !t.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Go's `scanChunk`: leading stars, then everything up to the next star
/// outside a class.
fn scan_chunk(pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let stars = pattern.iter().take_while(|&&b| b == b'*').count();
    let trimmed = pattern.get(stars..).unwrap_or_default();
    let mut in_range = false;
    let mut i = 0;
    while let Some(&b) = trimmed.get(i) {
        match b {
            b'\\' if i + 1 < trimmed.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    let (chunk, rest) = trimmed.split_at(i.min(trimmed.len()));
    (stars > 0, chunk, rest)
}

/// Go's `utf8.DecodeRune`: the rune and its length; U+FFFD and 1 for an
/// invalid byte.
fn decode_rune(s: &[u8]) -> (char, usize) {
    for len in 1..=4 {
        if let Some(c) = s
            .get(..len)
            .and_then(|p| core::str::from_utf8(p).ok())
            .and_then(|p| p.chars().next())
        {
            return (c, len);
        }
    }
    (char::REPLACEMENT_CHARACTER, 1)
}

/// Go's `matchChunk`: matches `chunk` at the start of `s`, returning the rest
/// of `s`; keeps parsing after a failure so malformed patterns are reported.
fn match_chunk<'a>(chunk: &[u8], s: &'a [u8]) -> Result<(&'a [u8], bool), BadPattern> {
    let mut chunk = chunk;
    let mut s = s;
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = '\0';
                if !failed {
                    let (rune, n) = decode_rune(s);
                    r = rune;
                    s = s.get(n..).unwrap_or_default();
                }
                chunk = chunk.get(1..).unwrap_or_default();
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = chunk.get(1..).unwrap_or_default();
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.first() == Some(&b']') && nrange > 0 {
                        chunk = chunk.get(1..).unwrap_or_default();
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&b'-') {
                        let (h, rest) = get_esc(chunk.get(1..).unwrap_or_default())?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s.first() == Some(&b'/') {
                        failed = true;
                    }
                    let (_, n) = decode_rune(s);
                    s = s.get(n..).unwrap_or_default();
                }
                chunk = chunk.get(1..).unwrap_or_default();
            }
            _ => {
                if c == b'\\' {
                    chunk = chunk.get(1..).unwrap_or_default();
                    if chunk.is_empty() {
                        return Err(BadPattern);
                    }
                }
                if !failed {
                    if s.first() != chunk.first() {
                        failed = true;
                    }
                    s = s.get(1..).unwrap_or_default();
                }
                chunk = chunk.get(1..).unwrap_or_default();
            }
        }
    }
    if failed {
        Ok((b"", false))
    } else {
        Ok((s, true))
    }
}

/// Go's `getEsc`: one possibly escaped character of a class.
fn get_esc(chunk: &[u8]) -> Result<(char, &[u8]), BadPattern> {
    let mut chunk = chunk;
    if matches!(chunk.first(), None | Some(b'-' | b']')) {
        return Err(BadPattern);
    }
    if chunk.first() == Some(&b'\\') {
        chunk = chunk.get(1..).unwrap_or_default();
        if chunk.is_empty() {
            return Err(BadPattern);
        }
    }
    let (c, n) = decode_rune(chunk);
    if c == char::REPLACEMENT_CHARACTER && n == 1 {
        return Err(BadPattern);
    }
    let rest = chunk.get(n..).unwrap_or_default();
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((c, rest))
}

#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;

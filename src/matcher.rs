//! A port of the kubelet's image matcher (kubernetes `pkg/credentialprovider/
//! keyring.go`: `ParseSchemelessURL`, `SplitURL`, `URLsMatch`, and the key
//! normalization of `BasicDockerKeyring.Add` and `Lookup`), with the parts of
//! Go's `net/url.Parse`, `net.SplitHostPort` and `path/filepath.Match` it
//! rests on. The plugin runs every answer through it before printing, so an
//! answer the kubelet would silently ignore (a missing port, a wrong host) is
//! caught here instead.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The parts of a parsed URL the matcher looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `u.Host`: host and port, percent-decoded.
    pub host: String,
    /// `u.Path`: percent-decoded.
    pub path: String,
}

/// Why Go's `url.Parse` would refuse the input (the kubelet treats any
/// error as "no match").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// A control byte anywhere.
    ControlCharacter,
    /// A bad `%` escape.
    BadEscape,
    /// A character not allowed in a host.
    InvalidHost,
    /// A port that is not digits, or text after `]`.
    InvalidPort,
    /// `[` without `]`.
    MissingBracket,
    /// Bad characters before `@`.
    InvalidUserinfo,
}

/// Go's `url.Parse` for a string that starts with `scheme://`, reduced to host
/// and path.
pub fn parse_url(raw: &str) -> Result<Url, UrlError> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(UrlError::ControlCharacter);
    }
    let (without_fragment, fragment) = raw.split_once('#').unwrap_or((raw, ""));
    unescape(fragment, Mode::Other)?;
    let Some((_, rest)) = without_fragment.split_once("://") else {
        return Ok(Url {
            host: String::new(),
            path: unescape(without_fragment, Mode::Other)?,
        });
    };
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    let host = match authority.rfind('@') {
        Some(at) => {
            let (userinfo, host) = (
                authority.get(..at).unwrap_or_default(),
                authority.get(at + 1..).unwrap_or_default(),
            );
            if !userinfo.bytes().all(is_userinfo_byte) {
                return Err(UrlError::InvalidUserinfo);
            }
            unescape(userinfo, Mode::Other)?;
            host
        }
        None => authority,
    };
    Ok(Url {
        host: parse_host(host)?,
        path: unescape(path, Mode::Other)?,
    })
}

fn is_userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&b) || b >= 0x80
}

/// Go's `parseHost`: port syntax, then host characters, then unescaping.
fn parse_host(host: &str) -> Result<String, UrlError> {
    if host.starts_with('[') {
        let close = host.rfind(']').ok_or(UrlError::MissingBracket)?;
        if !valid_optional_port(host.get(close + 1..).unwrap_or_default()) {
            return Err(UrlError::InvalidPort);
        }
    } else if let Some(colon) = host.rfind(':') {
        if !valid_optional_port(host.get(colon..).unwrap_or_default()) {
            return Err(UrlError::InvalidPort);
        }
    }
    unescape(host, Mode::Host)
}

/// `""`, or `:` followed by digits (possibly none).
fn valid_optional_port(port: &str) -> bool {
    port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Host,
    Other,
}

/// Go's `shouldEscape(c, encodeHost)` for ASCII: true means not allowed raw.
fn host_byte_needs_escape(b: u8) -> bool {
    !(b.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&b))
}

/// Go's `unescape`: decodes `%XX`; in a host, only `%25` may encode a byte
/// below 0x80, and ASCII that would need escaping is refused.
fn unescape(s: &str, mode: Mode) -> Result<String, UrlError> {
    let bytes = s.as_bytes();
    // The common case (every key and image we emit): nothing to decode.
    if !bytes.contains(&b'%')
        && (mode != Mode::Host || !bytes.iter().any(|&b| b < 0x80 && host_byte_needs_escape(b)))
    {
        return Ok(s.to_owned());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).and_then(|&h| hex(h)),
                bytes.get(i + 2).and_then(|&l| hex(l)),
            ) else {
                return Err(UrlError::BadEscape);
            };
            if mode == Mode::Host && hi < 8 && bytes.get(i..i + 3) != Some(b"%25") {
                return Err(UrlError::BadEscape);
            }
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            if mode == Mode::Host && b < 0x80 && host_byte_needs_escape(b) {
                return Err(UrlError::InvalidHost);
            }
            out.push(b);
            i += 1;
        }
    }
    // Go strings may hold any bytes; a decoded invalid sequence is kept lossy,
    // which cannot turn a non-match into a match for the ASCII keys we emit.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `ParseSchemelessURL`: `url.Parse("https://" + s)`.
pub fn parse_schemeless_url(s: &str) -> Result<Url, UrlError> {
    parse_url(&format!("https://{s}"))
}

/// Go's `net.SplitHostPort`; `None` where it returns an error.
fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    let colon = hostport.rfind(':')?;
    let (host, inner_start, inner_end) = if hostport.starts_with('[') {
        let end = hostport.find(']')?;
        if end + 1 != colon {
            return None;
        }
        (hostport.get(1..end)?, 1, end + 1)
    } else {
        let host = hostport.get(..colon)?;
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hostport.get(inner_start..)?.contains('[') || hostport.get(inner_end..)?.contains(']') {
        return None;
    }
    Some((host, hostport.get(colon + 1..)?))
}

/// `SplitURL`: host labels and port; without a valid port the whole host is
/// the host and the port is empty.
fn split_url(url: &Url) -> (&str, &str) {
    split_host_port(&url.host).unwrap_or((&url.host, ""))
}

/// `URLsMatch`: same port, same number of labels, the target path starts
/// with the glob path (plain string prefix), and each label matches as a
/// `filepath.Match` pattern. A malformed pattern is no match.
pub fn urls_match(glob: &Url, target: &Url) -> bool {
    let (glob_host, glob_port) = split_url(glob);
    let (target_host, target_port) = split_url(target);
    glob_port == target_port
        && glob_host.split('.').count() == target_host.split('.').count()
        && target.path.starts_with(&glob.path)
        && glob_host
            .split('.')
            .zip(target_host.split('.'))
            .all(|(g, t)| glob_match(g, t) == Ok(true))
}

/// `URLsMatchStr`, with errors counted as no match as the kubelet does.
pub fn urls_match_str(glob: &str, target: &str) -> bool {
    match (parse_schemeless_url(glob), parse_schemeless_url(target)) {
        (Ok(g), Ok(t)) => urls_match(&g, &t),
        _ => false,
    }
}

/// `BasicDockerKeyring.Add`'s normalization of an `auth` key: an implied
/// `https://`, `/v1/` and `/v2/` prefixes dropped, host plus path. `None` if
/// the kubelet would drop the key as unparsable.
pub fn normalize_auth_key(key: &str) -> Option<String> {
    let value = if key.starts_with("https://") || key.starts_with("http://") {
        key.to_owned()
    } else {
        format!("https://{key}")
    };
    let url = parse_url(&value).ok()?;
    let path = url.path.as_str();
    let effective = if path.starts_with("/v2/") || path.starts_with("/v1/") {
        path.get(3..)?
    } else {
        path
    };
    Some(if effective.is_empty() || effective == "/" {
        url.host
    } else {
        format!("{}{effective}", url.host)
    })
}

/// The Docker Hub key the keyring falls back to when nothing else matched.
#[cfg(test)]
const DEFAULT_REGISTRY_KEY: &str = "index.docker.io";

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
        || first == DEFAULT_REGISTRY_KEY
        || !first.contains(['.', ':'])
}

#[cfg(test)]
/// A port of `BasicDockerKeyring`: keys added with their credential's index,
/// looked up in the kubelet's order (reverse-lexical keys).
#[derive(Debug, Default)]
pub struct Keyring {
    entries: Vec<(String, usize)>,
}

#[cfg(test)]
impl Keyring {
    /// `Add`: stores the normalized key, or drops it as the kubelet would.
    pub fn add(&mut self, key: &str, id: usize) {
        if let Some(k) = normalize_auth_key(key) {
            // Reverse-lexical order, as the kubelet sorts its index.
            let at = self.entries.partition_point(|(e, _)| *e >= k);
            self.entries.insert(at, (k, id));
        }
    }

    /// `Lookup`: the ids of every matching key, else the Docker Hub fallback.
    pub fn lookup(&self, image: &str) -> Vec<usize> {
        let hits: Vec<usize> = self
            .entries
            .iter()
            .filter(|(k, _)| urls_match_str(k, image))
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
/// printed.
pub fn answer_matches(key: &str, image: &str) -> bool {
    // `Add` then a direct `URLsMatchStr` hit in `Lookup` (the Docker Hub
    // fallback only applies to `index.docker.io` keys, which we never emit).
    normalize_auth_key(key).is_some_and(|k| urls_match_str(&k, image))
}

/// A malformed `filepath.Match` pattern (`ErrBadPattern`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadPattern;

/// Go's `path/filepath.Match` on Unix: `*` (not across `/`), `?`, `[...]`
/// classes with `^` and ranges, `\` escapes; errors for malformed patterns.
/// Works on bytes and decodes runes where Go does.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
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
        // Before reporting no match, check the rest of the pattern is valid.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
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

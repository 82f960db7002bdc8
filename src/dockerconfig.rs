//! Decoding of a Docker `config.json` (also what a decoded
//! `.dockerconfigjson` Secret holds) into the entries `import` turns into
//! credential files: one [`Entry`] per `auths` member, in document order,
//! each with the [`Target`] it becomes and its username and password, or the
//! reason it is skipped.
//!
//! Keys are normalized as the kubelet does when it adds a Docker config to its
//! keyring (kubernetes `pkg/credentialprovider/keyring.go`,
//! `BasicDockerKeyring.Add`: an implied `https://`, `url.Parse`, a leading
//! `/v1/` or `/v2/` dropped from the path, host plus path), then as the file
//! layout needs: the host lowercased, Docker Hub's other names
//! (`index.docker.io`, `registry-1.docker.io`, which `docker login` writes as
//! `https://index.docker.io/v1/`) made `docker.io` (the name the kubelet
//! sends for every Hub image), a trailing `/`, `/v1` or `/v2` dropped, and a
//! remaining path kept as a per-repository target (`ghcr.io/acme`).
//!
//! Credentials follow `config.go` (`DockerConfigEntry.UnmarshalJSON`,
//! `decodeDockerConfigFieldAuth`): a non-empty `auth` is base64 of
//! `user:password`, split at the first `:`, and wins over `username` and
//! `password` (docker's `LoadFromReader` does the same); without it, those
//! two fields. The provider API carries only a username and a password, so an
//! entry whose secret is an `identitytoken` or `registrytoken` is skipped, as
//! is an entry with nothing in it (its secret is in a credential store).
//! `credsStore` and `credHelpers` are reported, never followed.
//!
//! Where Go's decoder would take the last of two equal keys, this one
//! refuses, and where two keys name the same target, both are skipped unless
//! they hold the same credential: an import never picks one silently.
//!
//! No message quotes a secret; registry keys are not secret and are quoted
//! escaped and cut short.

use crate::base64::{self, Alphabet, Base64Error, Padding};
use crate::error::{Escaped, truncated};
use crate::json::{self, Lookup, Object, Value};
use crate::matcher;
use crate::reference::{self, Domain};
use crate::secret::Secret;
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Largest `config.json` decoded. `docker login` files are a few KiB; a
/// pull secret is at most 1 MiB (the API server's object size limit).
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;
/// Largest decoded `auth` (`user:password`). Registry tokens used as
/// passwords (ECR, GAR, ACR) are 1 to 3 KiB.
pub const MAX_AUTH_BYTES: usize = 16 * 1024;
/// Longest file name Linux accepts (`NAME_MAX`); a target maps to
/// `<host>.json` and `<component>.json` names.
const NAME_MAX_BYTES: usize = 255;
const FILE_SUFFIX: &str = ".json";
const DEFAULT_DOMAIN: &str = "docker.io";
/// Names Docker Hub is written under in Docker configs.
const DOCKER_HUB_ALIASES: &[&str] = &["index.docker.io", "registry-1.docker.io"];
/// Docker's registry API version paths, which name the registry itself.
const API_PATHS: &[&str] = &["v1", "v2"];

/// Why a name cannot be a credential target. Its message is a predicate,
/// to follow the name (`TARGET <name> <message>`, `the key <message>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// Nothing left once the scheme is removed.
    Empty,
    /// `user@host`: user information (maybe a password) in the key.
    Userinfo,
    /// A `?query` or `#fragment`.
    QueryOrFragment,
    /// A key the kubelet's `url.Parse` refuses (it drops such a key).
    Unparsable,
    /// Not `host[:port]` (DNS labels or a bracketed IPv6 address, digits
    /// after `:`), nor `*.` followed by one.
    InvalidHost,
    /// A single label without a port that is not `localhost`: an image
    /// reference never takes it as a registry (`docker.io/<it>/...` instead).
    NotARegistry,
    /// A path that is not `/`-separated reference components
    /// (`[a-z0-9]+` joined by `.`, `_`, `__` or `-`).
    InvalidPath,
    /// A wildcard with a path: lookups read wildcards only as files.
    WildcardWithPath,
    /// A host or path component too long for a file name.
    TooLong,
    /// Valid, but not how lookup names it; the canonical form is given.
    NotCanonical(Target),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("names no registry"),
            Self::Userinfo => f.write_str("has user information before '@'; remove it"),
            Self::QueryOrFragment => f.write_str("has a '?' query or '#' fragment"),
            Self::Unparsable => f.write_str("is not a URL the kubelet can parse"),
            Self::InvalidHost => f.write_str(
                "is not host[:port] (DNS labels or [IPv6], then optionally ':' and digits) \
                 or *.<parent>",
            ),
            Self::NotARegistry => f.write_str(
                "has no '.' or ':' and is not localhost, so no image name takes it as a registry",
            ),
            Self::InvalidPath => f.write_str(
                "has a repository path that is not lowercase components of [a-z0-9] \
                 joined by '.', '_', '__' or '-'",
            ),
            Self::WildcardWithPath => {
                f.write_str("is a wildcard with a path; a wildcard names a whole registry")
            }
            Self::TooLong => write!(
                f,
                "has a host or path component too long for a {NAME_MAX_BYTES}-byte file name"
            ),
            Self::NotCanonical(target) => write!(f, "is written {} in lookups", target.as_str()),
        }
    }
}

/// What a credential file is named for: `host[:port]`, `*.parent[:port]`,
/// or `host[:port]/path` (a per-repository file), in the form lookup uses
/// (host lowercased, Docker Hub as `docker.io`). Never holds `..`, an empty
/// component, NUL, whitespace or a scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    text: String,
    /// Where the path starts (after the `/`), if there is one.
    path_start: Option<usize>,
}

impl Target {
    /// Validates `s`, which must already be canonical (what a file would be
    /// named for); [`TargetError::NotCanonical`] gives the canonical form of a
    /// valid name written otherwise (`Registry.example.org`, `index.docker.io`).
    pub fn parse(s: &str) -> Result<Self, TargetError> {
        let target = Self::normalized(s)?;
        if target.text == s {
            Ok(target)
        } else {
            Err(TargetError::NotCanonical(target))
        }
    }

    /// The target of a Docker config `auths` key, normalized as the module
    /// documentation describes.
    pub fn from_docker_key(key: &str) -> Result<Self, TargetError> {
        let without_scheme = strip_scheme(key);
        let authority = without_scheme.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err(TargetError::Userinfo);
        }
        if key.contains(['?', '#']) {
            return Err(TargetError::QueryOrFragment);
        }
        let kubelet_key = matcher::normalize_auth_key(key).ok_or(TargetError::Unparsable)?;
        // A key that decodes to bytes that are not UTF-8 cannot name a file.
        let text = core::str::from_utf8(&kubelet_key).map_err(|_| TargetError::Unparsable)?;
        Self::normalized(text)
    }

    /// Validates `host[/path]` after lowercasing the host, renaming Docker
    /// Hub and dropping a trailing `/`, `/v1` or `/v2`.
    fn normalized(s: &str) -> Result<Self, TargetError> {
        let (host, path) = match s.split_once('/') {
            Some((host, path)) => (host, path.trim_end_matches('/')),
            None => (s, ""),
        };
        let path = if API_PATHS.contains(&path) { "" } else { path };
        if host.is_empty() {
            return Err(TargetError::Empty);
        }
        let mut host = host.to_ascii_lowercase();
        if DOCKER_HUB_ALIASES.contains(&host.as_str()) {
            host = DEFAULT_DOMAIN.to_owned();
        }
        if let Some(parent) = host.strip_prefix("*.") {
            if parent.starts_with('[') || Domain::parse(parent).is_none() {
                return Err(TargetError::InvalidHost);
            }
            if !path.is_empty() {
                return Err(TargetError::WildcardWithPath);
            }
        } else {
            let domain = Domain::parse(&host).ok_or(TargetError::InvalidHost)?;
            let registry_like = host.contains(['.', ':']) || domain.host() == "localhost";
            if !registry_like {
                return Err(TargetError::NotARegistry);
            }
        }
        if !fits_file_name(&host) {
            return Err(TargetError::TooLong);
        }
        if path.is_empty() {
            return Ok(Self {
                text: host,
                path_start: None,
            });
        }
        let text = format!("{host}/{path}");
        // The reference grammar decides what a path is: `host/path` must
        // parse back into exactly this host and path, with no tag or digest.
        let parsed = reference::parse(&text).map_err(|_| TargetError::InvalidPath)?;
        let same = parsed.domain().map(Domain::as_str) == Some(host.as_str())
            && parsed.path().as_str() == path
            && parsed.tag().is_none()
            && parsed.digest().is_none();
        if !same {
            return Err(TargetError::InvalidPath);
        }
        if !parsed.path().components().all(fits_file_name) {
            return Err(TargetError::TooLong);
        }
        Ok(Self {
            path_start: Some(host.len() + 1),
            text,
        })
    }

    /// The whole target, as a file is named for it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `host[:port]` or `*.parent[:port]`: the credential file stem, or the
    /// directory of a per-repository file.
    #[cfg(any(test, fuzzing))]
    pub fn host(&self) -> &str {
        let end = self.path_start.map_or(self.text.len(), |start| start - 1);
        self.text.get(..end).unwrap_or_default()
    }

    /// The repository path of a per-repository target.
    pub fn path(&self) -> Option<&str> {
        self.path_start.and_then(|start| self.text.get(start..))
    }

    /// Whether this is `*.parent[:port]`.
    #[cfg(any(test, fuzzing))]
    pub fn is_wildcard(&self) -> bool {
        self.text.starts_with("*.")
    }
}

fn strip_scheme(key: &str) -> &str {
    key.strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key)
}

fn fits_file_name(stem: &str) -> bool {
    stem.len() + FILE_SUFFIX.len() <= NAME_MAX_BYTES
}

/// Why an entry is not imported; its message follows the entry's key in a
/// report line (`<key>: skipped: <message>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The key cannot be a target.
    Target(TargetError),
    /// The entry is not a JSON object.
    NotAnObject,
    /// A field is not a string.
    WrongType(&'static str),
    /// A field is given twice.
    DuplicateField(&'static str),
    /// `auth` is not standard base64.
    AuthNotBase64(Base64Error),
    /// `auth` decodes to more than [`MAX_AUTH_BYTES`].
    AuthTooLong,
    /// `auth` decodes to text without a `:`.
    AuthWithoutColon,
    /// The username or password is not UTF-8, so no JSON file can hold it.
    NotUtf8,
    /// The secret is an `identitytoken` or `registrytoken` (named), which the
    /// provider API cannot carry.
    TokenOnly(&'static str),
    /// No username, password, `auth` or token: the secret is in a credential
    /// store or helper.
    NoCredential,
    /// Another key names the same target with the same credential; that one
    /// is imported.
    Duplicate {
        /// The key imported.
        of: String,
    },
    /// Another key names the same target with a different credential.
    Conflict {
        /// One of the other keys.
        with: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Target(e) => write!(f, "the key {e}"),
            Self::NotAnObject => f.write_str("the entry is not a JSON object"),
            Self::WrongType(field) => write!(f, "'{field}' is not a string"),
            Self::DuplicateField(field) => write!(f, "'{field}' is given more than once"),
            Self::AuthNotBase64(e) => write!(f, "'auth' is not base64: it {e}"),
            Self::AuthTooLong => write!(f, "'auth' decodes to more than {MAX_AUTH_BYTES} bytes"),
            Self::AuthWithoutColon => {
                f.write_str("'auth' does not decode to username:password (no ':')")
            }
            Self::NotUtf8 => f.write_str("the username or password is not UTF-8"),
            Self::TokenOnly(field) => write!(
                f,
                "the secret is an '{field}', and the kubelet's provider API carries only a \
                 username and password"
            ),
            Self::NoCredential => f.write_str(
                "no username, password or 'auth' (the secret is in a credential store or helper)",
            ),
            Self::Duplicate { of } => write!(
                f,
                "the same target and credential as \"{}\", which is imported",
                Escaped(&truncated(of))
            ),
            Self::Conflict { with } => write!(
                f,
                "\"{}\" names the same target with another credential; keep one of them",
                Escaped(&truncated(with))
            ),
        }
    }
}

/// One `auths` member.
#[derive(Debug)]
pub struct Entry {
    /// The key as written (registry keys are not secret), except that user
    /// information before an `@` is replaced by `<redacted>`.
    pub key: String,
    /// What it becomes, or why it is skipped.
    pub target: Result<Target, SkipReason>,
    /// Username and password; `Some` exactly when `target` is `Ok`.
    pub credential: Option<(Secret, Secret)>,
}

/// A decoded Docker config.
#[derive(Debug)]
pub struct DockerConfig {
    /// The `auths` members, in document order.
    pub entries: Vec<Entry>,
    /// Whether `credsStore` names a store (whose secrets are not imported).
    pub creds_store: bool,
    /// The registries `credHelpers` names (their secrets are not imported).
    pub cred_helpers: Vec<String>,
}

/// Why a whole config was refused. Its message is a predicate, to follow
/// the file's name (`<file> is not valid JSON`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerConfigError {
    /// More than [`MAX_CONFIG_BYTES`].
    TooLarge,
    /// Not UTF-8.
    NotUtf8,
    /// Not one JSON value.
    NotJson,
    /// JSON, but not an object.
    NotAnObject,
    /// A top-level key of the wrong type (`auths` and `credHelpers` are
    /// objects, `credsStore` a string).
    WrongType(&'static str),
    /// A top-level key given twice.
    DuplicateKey(&'static str),
    /// Registries at the top level: the legacy `.dockercfg` format.
    LegacyFormat {
        /// The first such key.
        key: String,
    },
}

impl fmt::Display for DockerConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge => write!(f, "is larger than {MAX_CONFIG_BYTES} bytes"),
            Self::NotUtf8 => f.write_str("is not UTF-8"),
            Self::NotJson => f.write_str("is not valid JSON"),
            Self::NotAnObject => f.write_str("is not a JSON object"),
            Self::WrongType(key) => write!(
                f,
                "has '{key}' of the wrong type ('auths' and 'credHelpers' are objects, \
                 'credsStore' a string)"
            ),
            Self::DuplicateKey(key) => write!(f, "has '{key}' more than once"),
            Self::LegacyFormat { key } => write!(
                f,
                "has the registry \"{}\" at the top level (the legacy .dockercfg format); \
                 put the registries inside an \"auths\" object",
                Escaped(&truncated(key))
            ),
        }
    }
}

const AUTHS: &str = "auths";
const CREDS_STORE: &str = "credsStore";
const CRED_HELPERS: &str = "credHelpers";
const AUTH: &str = "auth";
const USERNAME: &str = "username";
const PASSWORD: &str = "password";
const IDENTITY_TOKEN: &str = "identitytoken";
const REGISTRY_TOKEN: &str = "registrytoken";

fn top_level<'a>(
    config: &'a Object,
    key: &'static str,
) -> Result<Option<&'a Value>, DockerConfigError> {
    match config.get(key) {
        Lookup::Absent => Ok(None),
        Lookup::One(value) => Ok(Some(value)),
        Lookup::Duplicate => Err(DockerConfigError::DuplicateKey(key)),
    }
}

/// Decodes a Docker config; see the module documentation.
pub fn decode(bytes: &[u8]) -> Result<DockerConfig, DockerConfigError> {
    if bytes.len() > MAX_CONFIG_BYTES {
        return Err(DockerConfigError::TooLarge);
    }
    let text = core::str::from_utf8(bytes).map_err(|_| DockerConfigError::NotUtf8)?;
    let Value::Object(config) = json::parse(text).ok_or(DockerConfigError::NotJson)? else {
        return Err(DockerConfigError::NotAnObject);
    };
    // Docker's own keys are camelCase words; a key with a dot, colon or slash
    // is a registry, as in a `.dockercfg`.
    if let Some((key, _)) = config.members().find(|(k, _)| k.contains(['.', ':', '/'])) {
        return Err(DockerConfigError::LegacyFormat {
            key: key.to_owned(),
        });
    }
    let creds_store = match top_level(&config, CREDS_STORE)? {
        None => false,
        Some(value) => !value
            .as_str()
            .ok_or(DockerConfigError::WrongType(CREDS_STORE))?
            .is_empty(),
    };
    let cred_helpers = match top_level(&config, CRED_HELPERS)? {
        None => Vec::new(),
        Some(Value::Object(helpers)) => helpers.members().map(|(k, _)| k.to_owned()).collect(),
        Some(_) => return Err(DockerConfigError::WrongType(CRED_HELPERS)),
    };
    let mut entries = match top_level(&config, AUTHS)? {
        None => Vec::new(),
        Some(Value::Object(auths)) => auths.members().map(|(k, v)| entry(k, v)).collect(),
        Some(_) => return Err(DockerConfigError::WrongType(AUTHS)),
    };
    resolve_collisions(&mut entries);
    Ok(DockerConfig {
        entries,
        creds_store,
        cred_helpers,
    })
}

/// The key for reports, with any `user[:password]@` replaced.
fn key_for_report(key: &str) -> String {
    let scheme_len = key.len() - strip_scheme(key).len();
    let rest = key.get(scheme_len..).unwrap_or_default();
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest.get(..authority_end).and_then(|a| a.rfind('@')) {
        Some(at) => format!(
            "{}<redacted>{}",
            key.get(..scheme_len).unwrap_or_default(),
            rest.get(at..).unwrap_or_default()
        ),
        None => key.to_owned(),
    }
}

fn entry(key: &str, value: &Value) -> Entry {
    let (target, credential) = match entry_parts(key, value) {
        Ok((target, credential)) => (Ok(target), Some(credential)),
        Err(reason) => (Err(reason), None),
    };
    Entry {
        key: key_for_report(key),
        target,
        credential,
    }
}

/// A field that, if present, must be a string; an empty string counts as
/// absent (Go's `omitempty` fields read the same either way).
fn text_field<'a>(fields: &'a Object, name: &'static str) -> Result<Option<&'a Value>, SkipReason> {
    match fields.get(name) {
        Lookup::Absent => Ok(None),
        Lookup::Duplicate => Err(SkipReason::DuplicateField(name)),
        Lookup::One(value) => match value.as_str() {
            None => Err(SkipReason::WrongType(name)),
            Some("") => Ok(None),
            Some(_) => Ok(Some(value)),
        },
    }
}

fn secret_of(value: Option<&Value>) -> Secret {
    match value.and_then(Value::as_str) {
        Some(text) => {
            let mut secret = Secret::with_capacity(text.len());
            // Cannot fail: the capacity is the length.
            let _ = secret.push(text.as_bytes());
            secret
        }
        None => Secret::with_capacity(0),
    }
}

fn entry_parts(key: &str, value: &Value) -> Result<(Target, (Secret, Secret)), SkipReason> {
    let target = Target::from_docker_key(key).map_err(SkipReason::Target)?;
    let Value::Object(fields) = value else {
        return Err(SkipReason::NotAnObject);
    };
    let auth = text_field(fields, AUTH)?;
    let username = text_field(fields, USERNAME)?;
    let password = text_field(fields, PASSWORD)?;
    let identity_token = text_field(fields, IDENTITY_TOKEN)?;
    let registry_token = text_field(fields, REGISTRY_TOKEN)?;
    let (username, password) = match auth.and_then(Value::as_str) {
        Some(auth) => split_auth(auth)?,
        None => (secret_of(username), secret_of(password)),
    };
    if password.is_empty() {
        // `docker login` with a token stores the token beside an `auth` of
        // `<user>:` (ACR writes a zero UUID as the user): the empty password
        // is not the credential, the token is.
        if identity_token.is_some() {
            return Err(SkipReason::TokenOnly(IDENTITY_TOKEN));
        }
        if registry_token.is_some() {
            return Err(SkipReason::TokenOnly(REGISTRY_TOKEN));
        }
        if username.is_empty() {
            return Err(SkipReason::NoCredential);
        }
    }
    let utf8 = |s: &Secret| core::str::from_utf8(s.as_bytes()).is_ok();
    if !utf8(&username) || !utf8(&password) {
        return Err(SkipReason::NotUtf8);
    }
    Ok((target, (username, password)))
}

/// `decodeDockerConfigFieldAuth`: standard base64, padded or not, of
/// `user:password`, split at the first `:`. Each half is copied once into a
/// buffer of its own size; the decoded whole is wiped when this returns.
fn split_auth(auth: &str) -> Result<(Secret, Secret), SkipReason> {
    let decoded = base64::decode(
        auth.as_bytes(),
        Alphabet::Standard,
        Padding::Optional,
        MAX_AUTH_BYTES,
    )
    .map_err(|e| match e {
        Base64Error::TooLong { .. } => SkipReason::AuthTooLong,
        e => SkipReason::AuthNotBase64(e),
    })?;
    let bytes = decoded.as_bytes();
    let colon = bytes
        .iter()
        .position(|&b| b == b':')
        .ok_or(SkipReason::AuthWithoutColon)?;
    let (user, rest) = bytes.split_at(colon);
    let pass = rest.get(1..).unwrap_or_default();
    let mut username = Secret::with_capacity(user.len());
    let mut password = Secret::with_capacity(pass.len());
    // Cannot fail: each capacity is the length pushed.
    let _ = username.push(user);
    let _ = password.push(pass);
    Ok((username, password))
}

fn same_credential(a: &Entry, b: &Entry) -> bool {
    match (&a.credential, &b.credential) {
        (Some((ua, pa)), Some((ub, pb))) => {
            ua.as_bytes() == ub.as_bytes() && pa.as_bytes() == pb.as_bytes()
        }
        _ => false,
    }
}

/// Keys that name the same target: with one credential among them, the
/// first is imported and the others are duplicates; with two or more, none
/// is imported.
fn resolve_collisions(entries: &mut [Entry]) {
    let mut decisions: Vec<(usize, SkipReason)> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let Ok(target) = &entry.target else { continue };
        let mut first = None;
        let mut conflict = None;
        for (j, other) in entries.iter().enumerate() {
            if j == i || other.target.as_ref().ok() != Some(target) {
                continue;
            }
            first.get_or_insert(j);
            if conflict.is_none() && !same_credential(entry, other) {
                conflict = Some(j);
            }
        }
        let reason = match (conflict, first) {
            (Some(j), _) => SkipReason::Conflict {
                with: entries.get(j).map(|e| e.key.clone()).unwrap_or_default(),
            },
            (None, Some(j)) if j < i => SkipReason::Duplicate {
                of: entries.get(j).map(|e| e.key.clone()).unwrap_or_default(),
            },
            _ => continue,
        };
        decisions.push((i, reason));
    }
    for (i, reason) in decisions {
        if let Some(entry) = entries.get_mut(i) {
            entry.target = Err(reason);
            entry.credential = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base64::encode;
    use alloc::string::ToString;

    fn auth(user_colon_password: &str) -> String {
        encode(user_colon_password.as_bytes(), Alphabet::Standard, true)
    }

    /// A config as `docker login` (and hand edits) leave it: Docker Hub
    /// under three spellings, a port, a path, `auth` and split fields, an
    /// identity token, a credential store and helpers.
    fn realistic() -> String {
        format!(
            r#"{{
	"auths": {{
		"https://index.docker.io/v1/": {{"auth": "{hub}"}},
		"index.docker.io": {{"auth": "{hub}"}},
		"docker.io": {{"username": "hubuser", "password": "hub:pass:word"}},
		"registry.example.org:5000": {{"auth": "{port}", "email": "ops@example.org"}},
		"https://ghcr.io/v2/acme/": {{"username": "acme-bot", "password": "ghp_s3cr3t"}},
		"Registry.Example.ORG": {{"auth": "{unpadded}"}},
		"myacr.azurecr.io": {{"auth": "{acr}", "identitytoken": "eyJhbGciOi.refresh.token"}},
		"quay.io": {{}},
		"*.mirror.example.net": {{"username": "m", "password": "mirror-pw"}}
	}},
	"credsStore": "desktop",
	"credHelpers": {{"gcr.io": "gcloud", "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"}},
	"HttpHeaders": {{"User-Agent": "Docker-Client/24.0.7 (linux)"}},
	"proxies": {{"default": {{"httpProxy": "http://proxy:3128"}}}}
}}"#,
            hub = auth("hubuser:hub:pass:word"),
            port = auth("deploy:5000-pw"),
            unpadded = auth("ci:ci-pw").trim_end_matches('=').to_owned(),
            acr = auth("00000000-0000-0000-0000-000000000000:"),
        )
    }

    fn imported(e: &Entry) -> Option<(&str, &[u8], &[u8])> {
        let target = e.target.as_ref().ok()?;
        let (u, p) = e.credential.as_ref()?;
        Some((target.as_str(), u.as_bytes(), p.as_bytes()))
    }

    #[test]
    fn regression_fuzz_docker_config_a_v2_prefix_then_a_v1_path_keeps_the_v1_path() {
        // The kubelet drops one leading /v1/ or /v2/ from a key's path: what
        // is left is the repository path, `v1/...` included.
        let t = Target::from_docker_key("https://ghcr.io/v2/v1/er.iac").unwrap();
        assert_eq!(t.as_str(), "ghcr.io/v1/er.iac");
        assert_eq!(Target::parse("ghcr.io/v1/er.iac").as_ref(), Ok(&t));
        assert_eq!(
            Target::from_docker_key("ghcr.io/v1/v1/er.iac").as_ref(),
            Ok(&t)
        );
    }

    #[test]
    fn decodes_a_realistic_config() {
        let config = decode(realistic().as_bytes()).unwrap();
        assert!(config.creds_store);
        assert_eq!(
            config.cred_helpers,
            ["gcr.io", "123456789012.dkr.ecr.eu-west-1.amazonaws.com"]
        );
        let keys: Vec<&str> = config.entries.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "https://index.docker.io/v1/",
                "index.docker.io",
                "docker.io",
                "registry.example.org:5000",
                "https://ghcr.io/v2/acme/",
                "Registry.Example.ORG",
                "myacr.azurecr.io",
                "quay.io",
                "*.mirror.example.net",
            ]
        );
        let e = &config.entries;
        // Three spellings of Docker Hub, one credential: the first is imported.
        assert_eq!(
            imported(&e[0]),
            Some(("docker.io", &b"hubuser"[..], &b"hub:pass:word"[..]))
        );
        let of = "https://index.docker.io/v1/".to_owned();
        assert_eq!(e[1].target, Err(SkipReason::Duplicate { of: of.clone() }));
        assert_eq!(e[2].target, Err(SkipReason::Duplicate { of }));
        assert!(e[1].credential.is_none() && e[2].credential.is_none());
        assert_eq!(
            imported(&e[3]),
            Some(("registry.example.org:5000", &b"deploy"[..], &b"5000-pw"[..]))
        );
        assert_eq!(
            imported(&e[4]),
            Some(("ghcr.io/acme", &b"acme-bot"[..], &b"ghp_s3cr3t"[..]))
        );
        assert_eq!(
            imported(&e[5]),
            Some(("registry.example.org", &b"ci"[..], &b"ci-pw"[..]))
        );
        assert_eq!(e[6].target, Err(SkipReason::TokenOnly("identitytoken")));
        assert_eq!(e[7].target, Err(SkipReason::NoCredential));
        assert_eq!(
            imported(&e[8]),
            Some(("*.mirror.example.net", &b"m"[..], &b"mirror-pw"[..]))
        );
        let t = e[4].target.as_ref().unwrap();
        assert_eq!(
            (t.host(), t.path(), t.is_wildcard()),
            ("ghcr.io", Some("acme"), false)
        );
        let t = e[8].target.as_ref().unwrap();
        assert_eq!(
            (t.host(), t.path(), t.is_wildcard()),
            ("*.mirror.example.net", None, true)
        );
    }

    #[test]
    fn skips_every_key_of_a_target_with_two_credentials() {
        let text = format!(
            r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}},"docker.io":{{"auth":"{}"}},"registry-1.docker.io":{{"auth":"{}"}}}}}}"#,
            auth("a:1"),
            auth("a:1"),
            auth("b:2")
        );
        let config = decode(text.as_bytes()).unwrap();
        let reasons: Vec<_> = config.entries.iter().map(|e| e.target.clone()).collect();
        assert_eq!(
            reasons,
            [
                Err(SkipReason::Conflict {
                    with: "registry-1.docker.io".into()
                }),
                Err(SkipReason::Conflict {
                    with: "registry-1.docker.io".into()
                }),
                Err(SkipReason::Conflict {
                    with: "https://index.docker.io/v1/".into()
                }),
            ]
        );
        assert!(config.entries.iter().all(|e| e.credential.is_none()));
    }

    #[test]
    fn auth_wins_over_username_and_password_as_in_the_kubelet() {
        let text = format!(
            r#"{{"auths":{{"r.example":{{"auth":"{}","username":"x","password":"y"}}}}}}"#,
            auth("u:p")
        );
        let config = decode(text.as_bytes()).unwrap();
        assert_eq!(
            imported(&config.entries[0]),
            Some(("r.example", &b"u"[..], &b"p"[..]))
        );
    }

    #[test]
    fn splits_auth_at_the_first_colon() {
        for (plain, user, pass) in [
            ("u:p:q", "u", "p:q"),
            (":p", "", "p"),
            ("u:", "u", ""),
            ("u::", "u", ":"),
        ] {
            let text = format!(
                r#"{{"auths":{{"r.example":{{"auth":"{}"}}}}}}"#,
                auth(plain)
            );
            let config = decode(text.as_bytes()).unwrap();
            assert_eq!(
                imported(&config.entries[0]),
                Some(("r.example", user.as_bytes(), pass.as_bytes())),
                "{plain}"
            );
        }
    }

    #[test]
    fn skips_entries_whose_credential_cannot_be_imported() {
        let cases: Vec<(String, SkipReason)> = vec![
            (
                format!(r#""{}""#, auth("no-colon")),
                SkipReason::AuthWithoutColon,
            ),
            (
                r#""dTpw\n""#.to_owned(),
                SkipReason::AuthNotBase64(Base64Error::InvalidByte { position: 4 }),
            ),
            (
                r#""dTpw=""#.to_owned(),
                SkipReason::AuthNotBase64(Base64Error::BadPadding),
            ),
            (
                format!(
                    r#""{}""#,
                    auth(&format!("u:{}", "p".repeat(MAX_AUTH_BYTES)))
                ),
                SkipReason::AuthTooLong,
            ),
            (
                format!(r#""{}""#, encode(b"u:\xff", Alphabet::Standard, true)),
                SkipReason::NotUtf8,
            ),
        ];
        for (value, want) in cases {
            let text = format!(r#"{{"auths":{{"r.example":{{"auth":{value}}}}}}}"#);
            let config = decode(text.as_bytes()).unwrap();
            assert_eq!(config.entries[0].target, Err(want), "{value}");
            assert!(config.entries[0].credential.is_none());
        }
        let fits = format!("u:{}", "p".repeat(MAX_AUTH_BYTES - 2));
        let text = format!(
            r#"{{"auths":{{"r.example":{{"auth":"{}"}}}}}}"#,
            auth(&fits)
        );
        assert!(decode(text.as_bytes()).unwrap().entries[0].target.is_ok());
    }

    #[test]
    fn skips_entries_of_the_wrong_shape() {
        for (entry, want) in [
            ("\"x\"", SkipReason::NotAnObject),
            ("[]", SkipReason::NotAnObject),
            (
                r#"{"username":1,"password":"p"}"#,
                SkipReason::WrongType("username"),
            ),
            (
                r#"{"username":"u","password":null}"#,
                SkipReason::WrongType("password"),
            ),
            (r#"{"auth":{"a":"b"}}"#, SkipReason::WrongType("auth")),
            (
                r#"{"username":"u","password":"p","password":"q"}"#,
                SkipReason::DuplicateField("password"),
            ),
            (
                r#"{"registrytoken":"tok"}"#,
                SkipReason::TokenOnly("registrytoken"),
            ),
            (
                r#"{"identitytoken":"tok"}"#,
                SkipReason::TokenOnly("identitytoken"),
            ),
            (r#"{"email":"a@b.c"}"#, SkipReason::NoCredential),
            (r#"{"username":"","password":""}"#, SkipReason::NoCredential),
        ] {
            let text = format!(r#"{{"auths":{{"r.example":{entry}}}}}"#);
            let config = decode(text.as_bytes()).unwrap();
            assert_eq!(config.entries[0].target, Err(want), "{entry}");
        }
    }

    #[test]
    fn imports_a_password_beside_a_token_as_the_kubelet_would_use_it() {
        let text = r#"{"auths":{"r.example":{"username":"u","password":"p","identitytoken":"t"}}}"#;
        let config = decode(text.as_bytes()).unwrap();
        assert_eq!(
            imported(&config.entries[0]),
            Some(("r.example", &b"u"[..], &b"p"[..]))
        );
        let text = r#"{"auths":{"r.example":{"username":"u"}}}"#;
        let config = decode(text.as_bytes()).unwrap();
        assert_eq!(
            imported(&config.entries[0]),
            Some(("r.example", &b"u"[..], &b""[..]))
        );
    }

    #[test]
    fn normalizes_keys_as_the_kubelet_and_docker_do() {
        for (key, want) in [
            ("https://index.docker.io/v1/", "docker.io"),
            ("http://index.docker.io/v1", "docker.io"),
            ("index.docker.io", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("https://registry-1.docker.io/v2/", "docker.io"),
            ("docker.io/acme", "docker.io/acme"),
            ("https://index.docker.io/v1/acme/", "docker.io/acme"),
            ("quay.io/v2/foo", "quay.io/foo"),
            ("quay.io/v1/foo/bar/", "quay.io/foo/bar"),
            ("quay.io/v2", "quay.io"),
            ("quay.io/", "quay.io"),
            ("HTTPS.Example.COM:443/team", "https.example.com:443/team"),
            ("localhost:5000", "localhost:5000"),
            ("localhost", "localhost"),
            ("[::1]:5000/x", "[::1]:5000/x"),
            ("10.0.0.1:5000", "10.0.0.1:5000"),
            ("*.example.org", "*.example.org"),
            ("*.Example.org:8443", "*.example.org:8443"),
            ("r.example/%61cme", "r.example/acme"),
        ] {
            let got = Target::from_docker_key(key).map(|t| t.as_str().to_owned());
            assert_eq!(got.as_deref(), Ok(want), "{key}");
        }
    }

    #[test]
    fn refuses_keys_that_cannot_be_a_target() {
        for (key, want) in [
            ("", TargetError::Empty),
            ("https://", TargetError::Empty),
            ("https://user:pw@r.example", TargetError::Userinfo),
            ("user@r.example/x", TargetError::Userinfo),
            ("r.example/x?y=1", TargetError::QueryOrFragment),
            ("r.example#x", TargetError::QueryOrFragment),
            ("r.example:port", TargetError::Unparsable),
            ("r.exa mple", TargetError::Unparsable),
            ("r_example.org", TargetError::InvalidHost),
            ("-r.example", TargetError::InvalidHost),
            ("*.*.example.org", TargetError::InvalidHost),
            ("a*.example.org", TargetError::InvalidHost),
            ("*.[::1]", TargetError::Unparsable),
            ("*.example.org/x", TargetError::WildcardWithPath),
            ("myregistry", TargetError::NotARegistry),
            ("namespaces", TargetError::NotARegistry),
            ("r.example/Acme", TargetError::InvalidPath),
            ("r.example/a//b", TargetError::InvalidPath),
            ("r.example/../etc", TargetError::InvalidPath),
            ("r.example/a:tag", TargetError::InvalidPath),
            ("r.example/a@sha256:0", TargetError::InvalidPath),
            ("r.example/-a", TargetError::InvalidPath),
        ] {
            assert_eq!(Target::from_docker_key(key).err(), Some(want), "{key}");
        }
        let long_host = format!("{}.example.org", "a".repeat(240));
        assert_eq!(
            Target::from_docker_key(&long_host).err(),
            Some(TargetError::TooLong)
        );
        let long_component = format!("r.example/{}", "a".repeat(251));
        assert_eq!(
            Target::from_docker_key(&long_component).err(),
            Some(TargetError::TooLong)
        );
        let fits = format!("r.example/{}", "a".repeat(250));
        assert!(Target::from_docker_key(&fits).is_ok());
    }

    #[test]
    fn parse_accepts_only_the_canonical_form() {
        for good in [
            "registry.example.org",
            "registry.example.org:5000",
            "*.example.org",
            "ghcr.io/acme",
            "ghcr.io/acme/team_a/x-y",
            "docker.io",
            "localhost",
            "[fd00::1]:5000",
        ] {
            assert_eq!(
                Target::parse(good).map(|t| t.as_str().to_owned()),
                Ok(good.to_owned())
            );
        }
        for (written, canonical) in [
            ("index.docker.io", "docker.io"),
            ("Registry.Example.org", "registry.example.org"),
            ("ghcr.io/acme/", "ghcr.io/acme"),
            ("quay.io/v2", "quay.io"),
        ] {
            let Err(TargetError::NotCanonical(t)) = Target::parse(written) else {
                panic!("{written}");
            };
            assert_eq!(t.as_str(), canonical);
        }
        assert_eq!(
            Target::parse("https://r.example").err(),
            Some(TargetError::InvalidHost)
        );
        assert_eq!(
            Target::parse("*.[::1]").err(),
            Some(TargetError::InvalidHost)
        );
        assert_eq!(
            Target::parse("r.example/x y").err(),
            Some(TargetError::InvalidPath)
        );
    }

    #[test]
    fn refuses_configs_of_the_wrong_shape() {
        for (text, want) in [
            ("", DockerConfigError::NotJson),
            ("{", DockerConfigError::NotJson),
            ("[]", DockerConfigError::NotAnObject),
            (r#"{"auths":[]}"#, DockerConfigError::WrongType("auths")),
            (
                r#"{"credsStore":1}"#,
                DockerConfigError::WrongType("credsStore"),
            ),
            (
                r#"{"credHelpers":"x"}"#,
                DockerConfigError::WrongType("credHelpers"),
            ),
            (
                r#"{"auths":{},"auths":{}}"#,
                DockerConfigError::DuplicateKey("auths"),
            ),
            (
                r#"{"https://index.docker.io/v1/":{"auth":"dTpw","email":"a@b.c"}}"#,
                DockerConfigError::LegacyFormat {
                    key: "https://index.docker.io/v1/".into(),
                },
            ),
        ] {
            assert_eq!(decode(text.as_bytes()).err(), Some(want), "{text}");
        }
        assert_eq!(
            decode(b"{\"a\":\"\xff\"}").err(),
            Some(DockerConfigError::NotUtf8)
        );
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_CONFIG_BYTES));
        assert_eq!(
            decode(big.as_bytes()).err(),
            Some(DockerConfigError::TooLarge)
        );
        let empty = decode(b"{}").unwrap();
        assert!(empty.entries.is_empty() && !empty.creds_store && empty.cred_helpers.is_empty());
        let store_only = decode(br#"{"auths":{},"credsStore":""}"#).unwrap();
        assert!(!store_only.creds_store);
    }

    #[test]
    fn redacts_user_information_in_reported_keys() {
        let text = r#"{"auths":{"https://me:hunter2@r.example/v2/":{"auth":"dTpw"}}}"#;
        let config = decode(text.as_bytes()).unwrap();
        assert_eq!(config.entries[0].key, "https://<redacted>@r.example/v2/");
        assert_eq!(
            config.entries[0].target,
            Err(SkipReason::Target(TargetError::Userinfo))
        );
    }

    #[test]
    fn messages_never_hold_a_secret() {
        let config = decode(realistic().as_bytes()).unwrap();
        let mut texts: Vec<String> = config
            .entries
            .iter()
            .filter_map(|e| e.target.as_ref().err().map(ToString::to_string))
            .collect();
        let broken = [
            format!(
                r#"{{"auths":{{"r.example":{{"auth":"{}"}}}}}}"#,
                auth("hunter2-no-colon")
            ),
            r#"{"auths":{"r.example":{"auth":"aHVudGVyMg=\n"}}}"#.to_owned(),
            r#"{"auths":{"r.example":{"password":7}}}"#.to_owned(),
            r#"{"auths":{"https://u:hunter2@r.example":{"auth":"dTpw"}}}"#.to_owned(),
        ];
        for text in &broken {
            let config = decode(text.as_bytes()).unwrap();
            texts.extend(
                config
                    .entries
                    .iter()
                    .filter_map(|e| e.target.as_ref().err().map(ToString::to_string)),
            );
        }
        texts.push(
            decode(br#"{"legacy.example":{"auth":"aHVudGVyMg=="}}"#)
                .unwrap_err()
                .to_string(),
        );
        assert!(texts.len() >= 8);
        for text in &texts {
            for secret in [
                "hub:pass:word",
                "5000-pw",
                "ghp_s3cr3t",
                "ci-pw",
                "mirror-pw",
                "eyJhbGciOi",
                "hunter2",
                "aHVudGVyMg",
                "00000000-0000",
            ] {
                assert!(!text.contains(secret), "{text} holds {secret}");
            }
        }
    }

    #[test]
    fn debug_output_never_shows_a_credential() {
        let config = decode(realistic().as_bytes()).unwrap();
        let debug = format!("{config:?}");
        for secret in ["hub:pass:word", "ghp_s3cr3t", "mirror-pw", "hubuser"] {
            assert!(!debug.contains(secret), "{secret}");
        }
    }
}

//! What the plugin answers for a found file: the credential decoded, the
//! `auth` key, `cacheKeyType` and `cacheDuration`. One place decides them,
//! shared by plugin mode and `check`, and one place writes the response after
//! proving with the kubelet's own matcher that the kubelet will use it.

use crate::credfile::{self, ContentError, Credential};
use crate::duration::Duration;
use crate::error::Escaped;
use crate::lookup::{Found, Rule};
use crate::matcher;
use crate::reference::{Domain, Reference, RepoPath};
use crate::request::ApiVersion;
use crate::response::{self, AuthEntry, CacheKeyType, Response};
use crate::secret::Secret;
use alloc::string::String;
use core::fmt;

/// How long the kubelet caches an answer whose file names no `duration`.
pub(crate) const DEFAULT_CACHE_DURATION: Duration = Duration::FIVE_MINUTES;

/// The answer for one image.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The credential.
    pub(crate) credential: Credential,
    /// The `auth` key.
    pub(crate) key: String,
    /// How the kubelet caches it.
    pub(crate) cache_key_type: CacheKeyType,
    /// For how long.
    pub(crate) cache_duration: Duration,
}

/// Decodes the found file and decides the key. A repository file answers for
/// the image alone; a host or wildcard file for the registry, cached per
/// image while the registry has repository files, so that a cached
/// registry-wide answer never stands in for a repository's own file.
pub(crate) fn answer_for(
    found: &Found,
    domain: &Domain,
    image: &Reference,
) -> Result<Answer, ContentError> {
    let credential =
        credfile::decode(found.file.contents.as_bytes()).map_err(|problem| ContentError {
            path: found.file.path.clone(),
            problem,
        })?;
    let (key, cache_key_type) = match found.rule {
        Rule::Repository(_) => (repository_key(domain, image.path()), CacheKeyType::Image),
        Rule::Host | Rule::Wildcard if found.registry_has_repositories => {
            (domain.as_str().into(), CacheKeyType::Image)
        }
        Rule::Host | Rule::Wildcard => (domain.as_str().into(), CacheKeyType::Registry),
    };
    let cache_duration = credential.duration.unwrap_or(DEFAULT_CACHE_DURATION);
    Ok(Answer {
        credential,
        key,
        cache_key_type,
        cache_duration,
    })
}

/// The `auth` key that the kubelet matches to exactly this image's
/// repository: `domain/path`, except that the kubelet drops a leading `/v1`
/// or `/v2` from every key's path (docker's old API prefixes), so a path that
/// starts with `v1/` or `v2/` gets a `v1/` in front that the kubelet removes
/// again (found by the `matcher` fuzz target: `docker.io/v1/rary/nginx`).
pub(crate) fn repository_key(domain: &Domain, path: &RepoPath) -> String {
    let path = path.as_str();
    let api_prefix = if path.starts_with("v1/") || path.starts_with("v2/") {
        "v1/"
    } else {
        ""
    };
    alloc::format!("{}/{api_prefix}{path}", domain.as_str())
}

/// Why an answer was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AnswerError {
    /// The kubelet would not use an answer with this key for this image.
    Mismatch {
        /// The `auth` key.
        key: String,
        /// The image name.
        image: String,
    },
    /// The response did not fit the buffer sized for it (a bug).
    TooLarge,
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch { key, image } => {
                write!(
                    f,
                    "the kubelet would not use an answer keyed \"{}\" for image \"{}\", so nothing was answered",
                    Escaped(key),
                    Escaped(image)
                )?;
                // The kubelet's matcher reads the brackets of an IPv6 host
                // without a port as a glob class, so nothing can match it.
                if key.starts_with('[') && key.split('/').next().is_some_and(|h| h.ends_with(']')) {
                    f.write_str("; the kubelet cannot match an IPv6 registry without a port: use [address]:port")?;
                }
                Ok(())
            }
            Self::TooLarge => {
                f.write_str("internal error: the response did not fit the buffer sized for it; nothing was answered")
            }
        }
    }
}

/// Checks the answer against the kubelet's matcher, then writes the whole
/// response into one buffer (wiped when dropped); no answer is the "no
/// credentials" response, cached for `0s` so a file added later is used.
pub(crate) fn write(
    api_version: ApiVersion,
    answer: Option<&Answer>,
    image_name: &str,
) -> Result<Secret, AnswerError> {
    let response = match answer {
        Some(a) => {
            if !matcher::answer_matches(&a.key, image_name) {
                return Err(AnswerError::Mismatch {
                    key: a.key.clone(),
                    image: image_name.into(),
                });
            }
            Response {
                api_version,
                cache_key_type: a.cache_key_type,
                cache_duration: a.cache_duration,
                auth: Some(AuthEntry {
                    key: &a.key,
                    credential: &a.credential,
                }),
            }
        }
        None => Response {
            api_version,
            cache_key_type: CacheKeyType::Registry,
            cache_duration: Duration::ZERO,
            auth: None,
        },
    };
    response::write(&response).ok_or(AnswerError::TooLarge)
}

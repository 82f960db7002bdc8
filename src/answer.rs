//! What the plugin answers for a found file: the credential decoded, the
//! `auth` key, `cacheKeyType` and `cacheDuration`. One place decides them,
//! shared by plugin mode and `check`, and one place writes the response after
//! proving with the kubelet's own matcher that the kubelet will use it.

use crate::credfile::{self, ContentError, Credential};
use crate::duration::Duration;
use crate::error::Error;
use crate::error::Escaped;
use crate::lookup::{self, Found, FoundMirror, Identity, Rule};
use crate::matcher;
use crate::mirror::{self, Then};
use crate::reference::{Domain, Reference, RepoPath};
use crate::request::ApiVersion;
use crate::response::{self, AuthEntry, CacheKeyType, Response};
use crate::secret::Secret;
use crate::trust::TrustedDir;
use alloc::string::String;
use core::fmt;

/// How long the kubelet caches an answer whose file names no `duration`.
pub(crate) const DEFAULT_CACHE_DURATION: Duration = Duration::FIVE_MINUTES;

/// The answer for one image.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The credential (through a mirror: the mirror's).
    pub(crate) credential: Credential,
    /// The `auth` key.
    pub(crate) key: String,
    /// How the kubelet caches it.
    pub(crate) cache_key_type: CacheKeyType,
    /// For how long.
    pub(crate) cache_duration: Duration,
    /// Through a mirror: the second entry, tried when the first fails.
    pub(crate) then: Option<ThenEntry>,
}

/// The entry that follows a mirror's credentials.
#[derive(Debug)]
pub(crate) struct ThenEntry {
    /// Its key: the upstream globbed, so it sorts after the first.
    pub(crate) key: String,
    /// The upstream's credential, or an empty one (`anonymous`).
    pub(crate) credential: Credential,
    /// Where it came from (`None` for `anonymous`).
    pub(crate) file: Option<String>,
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
        then: None,
    })
}

fn decode(found: &Found) -> Result<Credential, ContentError> {
    credfile::decode(found.file.contents.as_bytes()).map_err(|problem| ContentError {
        path: found.file.path.clone(),
        problem,
    })
}

/// Whether an answer from this file must be keyed per image.
fn per_image(found: &Found) -> bool {
    matches!(found.rule, Rule::Repository(_)) || found.registry_has_repositories
}

/// What a mirror's answer is made of: the mirror's file, and what follows.
#[derive(Debug)]
pub(crate) struct ThroughMirror<'a> {
    /// The mirror's credential file (found for the image on the mirror's host).
    pub(crate) mirror: &'a Found,
    /// The upstream's own file, when `then` is `upstream` and it has one.
    pub(crate) upstream: Option<&'a Found>,
    /// What follows the mirror's credentials.
    pub(crate) then: Then,
}

/// The answer for an image pulled through a mirror: first the mirror's
/// credentials under the upstream's own key (per image when either file is
/// per repository or its registry has repository files), then, per `then`,
/// the upstream's credentials or an empty one under the upstream globbed,
/// which sorts after it in the kubelet's reverse-sorted lookup. The cache
/// duration is the shorter of the two files'.
pub(crate) fn through_mirror(
    via: &ThroughMirror<'_>,
    upstream: &Domain,
    image: &Reference,
) -> Result<Answer, Error> {
    let credential = decode(via.mirror)?;
    let per_image = per_image(via.mirror) || via.upstream.is_some_and(per_image);
    let (key, cache_key_type) = if per_image {
        (repository_key(upstream, image.path()), CacheKeyType::Image)
    } else {
        (upstream.as_str().into(), CacheKeyType::Registry)
    };
    let mut cache_duration = credential.duration.unwrap_or(DEFAULT_CACHE_DURATION);
    let then_credential = match (via.then, via.upstream) {
        (Then::Nothing, _) | (Then::Upstream, None) => None,
        (Then::Upstream, Some(found)) => Some((decode(found)?, Some(found.file.path.clone()))),
        (Then::Anonymous, None | Some(_)) => Some((Credential::empty(), None)),
    };
    let then = match then_credential {
        None => None,
        Some((credential, file)) => {
            let globbed = mirror::globbed(upstream).ok_or(AnswerError::MirrorOfIpv6 {
                upstream: upstream.as_str().into(),
            })?;
            let key = if per_image {
                key_with_path(&globbed, image.path())
            } else {
                globbed
            };
            if let Some(d) = credential.duration {
                cache_duration = cache_duration.min(d);
            }
            Some(ThenEntry {
                key,
                credential,
                file,
            })
        }
    };
    Ok(Answer {
        credential,
        key,
        cache_key_type,
        cache_duration,
        then,
    })
}

/// Which files made a mirror's answer.
#[derive(Debug)]
pub(crate) struct MirrorFiles {
    /// The mirror's registry.
    pub(crate) mirror: Domain,
    /// The mirror's credential file.
    pub(crate) mirror_credential: String,
}

/// The answer for an image whose registry has a mirror file (plugin mode
/// and `check` share it): the mirror's credentials, looked up for the same
/// path on the mirror's host in the same scopes, then what the file's `then`
/// says. A mirror without a credential file is a refusal, never a silent
/// fall-through to the upstream's credentials alone.
pub(crate) fn through_mirror_file(
    root: &TrustedDir,
    image: &Reference,
    upstream: &Domain,
    mirror_file: &FoundMirror,
    identity: Option<Identity<'_>>,
) -> Result<(Answer, MirrorFiles), Error> {
    let path = &mirror_file.file.path;
    let decoded =
        mirror::decode(mirror_file.file.contents.as_bytes(), upstream).map_err(|problem| {
            Error::Mirror(mirror::MirrorFileError {
                path: path.clone(),
                problem,
            })
        })?;
    let on_mirror = image.on_registry(&decoded.mirror);
    let Some(found) = lookup::find(root, &on_mirror, identity, false)?.found else {
        return Err(Error::Answer(AnswerError::MirrorWithoutCredentials {
            mirror: decoded.mirror.as_str().into(),
            file: path.clone(),
        }));
    };
    let upstream_found = match decoded.then {
        Then::Upstream => lookup::find(root, image, identity, false)?.found,
        Then::Anonymous | Then::Nothing => None,
    };
    let via = ThroughMirror {
        mirror: &found,
        upstream: upstream_found.as_ref(),
        then: decoded.then,
    };
    let answer = through_mirror(&via, upstream, image)?;
    let files = MirrorFiles {
        mirror: decoded.mirror,
        mirror_credential: found.file.path,
    };
    Ok((answer, files))
}

/// The `auth` key that the kubelet matches to exactly this image's
/// repository: `domain/path`, except that the kubelet drops a leading `/v1`
/// or `/v2` from every key's path (docker's old API prefixes), so a path that
/// starts with `v1/` or `v2/` gets a `v1/` in front that the kubelet removes
/// again (found by the `matcher` fuzz target: `docker.io/v1/rary/nginx`).
pub(crate) fn repository_key(domain: &Domain, path: &RepoPath) -> String {
    key_with_path(domain.as_str(), path)
}

/// `host/path` as in [`repository_key`], for any host text (a globbed one).
fn key_with_path(host: &str, path: &RepoPath) -> String {
    let path = path.as_str();
    let api_prefix = if path.starts_with("v1/") || path.starts_with("v2/") {
        "v1/"
    } else {
        ""
    };
    alloc::format!("{host}/{api_prefix}{path}")
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
    /// A mirror is configured but no credential file answers the image on it.
    MirrorWithoutCredentials {
        /// The mirror's registry.
        mirror: String,
        /// The mirror file.
        file: String,
    },
    /// A mirror for an IPv6 upstream, whose key the kubelet cannot glob.
    MirrorOfIpv6 {
        /// The upstream.
        upstream: String,
    },
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
            Self::MirrorWithoutCredentials { mirror, file } => write!(
                f,
                "{} sends pulls through mirror {}, but no credential file answers the image there; put one for {} (nothing was answered, rather than the upstream's credentials alone)",
                Escaped(file),
                Escaped(mirror),
                Escaped(mirror)
            ),
            Self::MirrorOfIpv6 { upstream } => write!(
                f,
                "a mirror for {} cannot be answered with a fallback entry: the kubelet cannot glob an IPv6 address; use then \"nothing\"",
                Escaped(upstream)
            ),
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
    let Some(a) = answer else {
        let none = Response {
            api_version,
            cache_key_type: CacheKeyType::Registry,
            cache_duration: Duration::ZERO,
            auth: &[],
        };
        return response::write(&none).ok_or(AnswerError::TooLarge);
    };
    let first = AuthEntry {
        key: &a.key,
        credential: &a.credential,
    };
    let entries;
    let auth: &[AuthEntry<'_>] = match &a.then {
        None => core::slice::from_ref(&first),
        Some(then) => {
            entries = [
                first,
                AuthEntry {
                    key: &then.key,
                    credential: &then.credential,
                },
            ];
            &entries
        }
    };
    for entry in auth {
        if !matcher::answer_matches(entry.key, image_name) {
            return Err(AnswerError::Mismatch {
                key: entry.key.into(),
                image: image_name.into(),
            });
        }
    }
    let response = Response {
        api_version,
        cache_key_type: a.cache_key_type,
        cache_duration: a.cache_duration,
        auth,
    };
    response::write(&response).ok_or(AnswerError::TooLarge)
}

//! Finds the one credential file that may answer an image. The file name is
//! derived from the parsed domain and path only, and nothing widens: no parent
//! domain (the original script answered every `*.org` host from `org.json`),
//! no other port, no sibling path. In order:
//!
//! 1. `<domain>/<p1>/.../<pk>.json`, the longest leading run of the image's
//!    path components that has a file (per-repository credentials);
//! 2. `<domain>.json`;
//! 3. `*.<parent>.json`, where one `*` stands for exactly the first DNS label.
//!
//! `<domain>` is the host lowercased with its `:port` kept.

use crate::error::Error;
use crate::reference::{Domain, Reference, RepoPath};
use crate::response::CacheKeyType;
use crate::trust::{TrustedDir, TrustedFile};

/// Longest file name Linux accepts (`NAME_MAX`). A longer candidate cannot
/// exist, so it is skipped rather than asked of the file system.
const NAME_MAX_BYTES: usize = 255;
const SUFFIX: &str = ".json";

/// Which rule found the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// A per-repository file for this leading run of path components.
    Repository(String),
    /// `<domain>.json`.
    Host,
    /// `*.<parent>.json`.
    Wildcard,
}

/// A credential file that answers an image, and how it was found.
#[derive(Debug)]
pub struct Found {
    /// The file, read through checked descriptors.
    pub file: TrustedFile,
    /// The rule that found it.
    pub rule: Rule,
    /// Whether the registry has a per-repository directory.
    pub registry_has_repositories: bool,
}

/// The result of a lookup.
#[derive(Debug)]
pub struct Lookup {
    /// The file that answers, if any.
    pub found: Option<Found>,
    /// Every path tried, in order (for `check`).
    pub tried: Vec<String>,
}

impl Found {
    /// The `auth` key and cache key type of the answer for `image` (plugin
    /// mode and `check` share it). A repository file answers for the image
    /// alone; a host or wildcard file for the registry, cached per image while
    /// the registry has repository files, so that a cached registry-wide
    /// answer never stands in for a repository's own file.
    pub fn answer_key(&self, domain: &Domain, image: &Reference) -> (String, CacheKeyType) {
        match self.rule {
            Rule::Repository(_) => (repository_key(domain, image.path()), CacheKeyType::Image),
            Rule::Host | Rule::Wildcard if self.registry_has_repositories => {
                (domain.as_str().to_owned(), CacheKeyType::Image)
            }
            Rule::Host | Rule::Wildcard => (domain.as_str().to_owned(), CacheKeyType::Registry),
        }
    }
}

/// The `auth` key that the kubelet matches to exactly this image's
/// repository: `domain/path`, except that the kubelet drops a leading `/v1`
/// or `/v2` from every key's path (docker's old API prefixes), so a path that
/// starts with `v1/` or `v2/` gets a `v1/` in front that the kubelet removes
/// again (found by the `matcher` fuzz target: `docker.io/v1/rary/nginx`).
pub fn repository_key(domain: &Domain, path: &RepoPath) -> String {
    let path = path.as_str();
    let api_prefix = if path.starts_with("v1/") || path.starts_with("v2/") {
        "v1/"
    } else {
        ""
    };
    format!("{}/{api_prefix}{path}", domain.as_str())
}

fn file_name(stem: &str) -> Option<String> {
    (stem.len() + SUFFIX.len() <= NAME_MAX_BYTES).then(|| format!("{stem}{SUFFIX}"))
}

fn try_file(
    dir: &TrustedDir,
    stem: &str,
    tried: &mut Vec<String>,
) -> Result<Option<TrustedFile>, Error> {
    let Some(name) = file_name(stem) else {
        return Ok(None);
    };
    let file = dir.read_file(&name)?;
    tried.push(format!("{}/{name}", dir.path().trim_end_matches('/')));
    Ok(file)
}

/// Looks up the credential file for `image` under `root`. A file that exists
/// but breaks a rule is an error, never a reason to fall through to a wider
/// rule.
pub fn find(root: &TrustedDir, image: &Reference) -> Result<Lookup, Error> {
    let mut lookup = Lookup {
        found: None,
        tried: Vec::new(),
    };
    let Some(domain) = image.domain() else {
        // `foo_bar.com/baz` normalizes to no domain at all: no registry to answer for.
        return Ok(lookup);
    };
    let stem = domain.file_stem();
    if file_name(&stem).is_none() {
        return Ok(lookup);
    }
    // A per-repository directory makes host and wildcard answers per image
    // too (see `Found::answer_key`).
    let mut has_repositories = false;
    if let Some(domain_dir) = root.open_subdir(&stem)? {
        has_repositories = true;
        let components: Vec<&str> = image.path().components().collect();
        // Descend as far as directories exist (the last component can only be
        // a file), then try files from the deepest level up.
        let mut dirs = vec![domain_dir];
        for component in components.iter().take(components.len().saturating_sub(1)) {
            let Some(parent) = dirs.last() else { break };
            if file_name(component).is_none() {
                break;
            }
            match parent.open_subdir(component)? {
                Some(dir) => dirs.push(dir),
                None => break,
            }
        }
        for (depth, dir) in dirs.iter().enumerate().rev() {
            let Some(component) = components.get(depth) else {
                continue;
            };
            if let Some(file) = try_file(dir, component, &mut lookup.tried)? {
                let prefix = components.get(..=depth).unwrap_or_default().join("/");
                lookup.found = Some(Found {
                    file,
                    rule: Rule::Repository(prefix),
                    registry_has_repositories: true,
                });
                return Ok(lookup);
            }
        }
    }
    if let Some(file) = try_file(root, &stem, &mut lookup.tried)? {
        lookup.found = Some(Found {
            file,
            rule: Rule::Host,
            registry_has_repositories: has_repositories,
        });
        return Ok(lookup);
    }
    if let Some(wildcard) = domain.wildcard_stem() {
        if let Some(file) = try_file(root, &wildcard, &mut lookup.tried)? {
            lookup.found = Some(Found {
                file,
                rule: Rule::Wildcard,
                registry_has_repositories: has_repositories,
            });
        }
    }
    Ok(lookup)
}

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
//! `<domain>` is the host lowercased with its `:port` kept. With a pod's
//! identity the scopes are walked narrowest first, each a full tree as above:
//! `namespaces/<ns>/serviceaccounts/<sa>/`, `namespaces/<ns>/`, the root.
//! Lookup says what it found; what the answer is keyed by is `answer`'s
//! decision.

use crate::layout;
use crate::mirror::MIRRORS_DIR;
use crate::reference::Reference;
use crate::token::{Namespace, ServiceAccountName};
use crate::trust::{TrustError, TrustedDir, TrustedFile};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The directory of the namespace scopes. It can never be a registry name
/// (no dot, colon or `localhost`), so it cannot collide with credentials.
pub(crate) const NAMESPACES_DIR: &str = "namespaces";
/// The directory of a namespace's service-account scopes.
pub(crate) const SERVICE_ACCOUNTS_DIR: &str = "serviceaccounts";

/// The pod a request is for, from its service-account token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Identity<'a> {
    /// The pod's namespace.
    pub(crate) namespace: &'a Namespace,
    /// The pod's service account.
    pub(crate) service_account: &'a ServiceAccountName,
}

/// Which credential tree answered: the one type the lookup walks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `namespaces/<ns>/serviceaccounts/<sa>/`.
    ServiceAccount(Namespace, ServiceAccountName),
    /// `namespaces/<ns>/`.
    Namespace(Namespace),
    /// The root: every pod on the node.
    Node,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ServiceAccount(ns, sa) => write!(
                f,
                "service account {} of namespace {}",
                sa.as_str(),
                ns.as_str()
            ),
            Self::Namespace(ns) => write!(f, "namespace {}", ns.as_str()),
            Self::Node => f.write_str("every pod on the node"),
        }
    }
}

/// Which rule found the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rule {
    /// A per-repository file for this leading run of path components.
    Repository(String),
    /// `<domain>.json`.
    Host,
    /// `*.<parent>.json`.
    Wildcard,
}

/// A credential file that answers an image, and how it was found.
#[derive(Debug)]
pub(crate) struct Found {
    /// The file, read through checked descriptors.
    pub(crate) file: TrustedFile,
    /// The rule that found it.
    pub(crate) rule: Rule,
    /// Whether the registry has a per-repository directory (in this scope
    /// or a narrower one that was tried first).
    pub(crate) registry_has_repositories: bool,
    /// The tree it was found in.
    pub(crate) scope: Scope,
}

/// The result of a lookup.
#[derive(Debug, Default)]
pub(crate) struct Lookup {
    /// The file that answers, if any.
    pub(crate) found: Option<Found>,
    /// Every path tried, in order, when the caller asked for them (`check`).
    pub(crate) tried: Option<Vec<String>>,
}

impl Lookup {
    /// Tries `dir/<stem>.json`; a stem too long to be a file name cannot exist.
    fn try_file(
        &mut self,
        dir: &TrustedDir,
        stem: &str,
    ) -> Result<Option<TrustedFile>, TrustError> {
        let Some(name) = layout::file_name(stem) else {
            return Ok(None);
        };
        let file = dir.read_file(&name)?;
        if let Some(tried) = &mut self.tried {
            tried.push(dir.child_path(&name));
        }
        Ok(file)
    }
}

/// Visits the scopes of `identity`, narrowest first, then the root, until
/// `visit` finds something. A scope directory that does not exist is
/// skipped; one that breaks a rule is an error, never a reason to widen.
fn walk<T>(
    root: &TrustedDir,
    identity: Option<Identity<'_>>,
    mut visit: impl FnMut(&TrustedDir, Scope) -> Result<Option<T>, TrustError>,
) -> Result<Option<T>, TrustError> {
    if let Some(id) = identity {
        let namespace_dir = match root.open_subdir(NAMESPACES_DIR)? {
            Some(all) => all.open_subdir(id.namespace.as_str())?,
            None => None,
        };
        if let Some(namespace_dir) = namespace_dir {
            let account_dir = match namespace_dir.open_subdir(SERVICE_ACCOUNTS_DIR)? {
                Some(all) => all.open_subdir(id.service_account.as_str())?,
                None => None,
            };
            if let Some(account_dir) = account_dir {
                let scope = Scope::ServiceAccount(id.namespace.clone(), id.service_account.clone());
                if let Some(found) = visit(&account_dir, scope)? {
                    return Ok(Some(found));
                }
            }
            if let Some(found) = visit(&namespace_dir, Scope::Namespace(id.namespace.clone()))? {
                return Ok(Some(found));
            }
        }
    }
    visit(root, Scope::Node)
}

/// Looks up the credential file for `image` under `root`, in the scopes of
/// `identity` (narrowest first) and then the root; with `trace`, the paths
/// tried are recorded too. A file or directory that exists but breaks a rule
/// is an error, never a reason to fall through to a wider scope or rule.
pub(crate) fn find(
    root: &TrustedDir,
    image: &Reference,
    identity: Option<Identity<'_>>,
    trace: bool,
) -> Result<Lookup, TrustError> {
    let mut lookup = Lookup {
        found: None,
        tried: trace.then(Vec::new),
    };
    let mut has_repositories = false;
    lookup.found = walk(root, identity, |dir, scope| {
        find_in(dir, image, scope, &mut lookup, &mut has_repositories)
    })?;
    Ok(lookup)
}

/// A mirror file that applies to an image, and where it was found.
#[derive(Debug)]
pub(crate) struct FoundMirror {
    /// The file, read through checked descriptors (not decoded yet).
    pub(crate) file: TrustedFile,
    /// The tree it was found in.
    pub(crate) scope: Scope,
}

/// The mirror file for `image`'s registry (`mirrors/<domain>.json`), in the
/// same scopes, narrowest first.
pub(crate) fn find_mirror(
    root: &TrustedDir,
    image: &Reference,
    identity: Option<Identity<'_>>,
) -> Result<Option<FoundMirror>, TrustError> {
    let Some(domain) = image.domain() else {
        return Ok(None);
    };
    let Some(name) = layout::file_name(&domain.file_stem()) else {
        return Ok(None);
    };
    walk(root, identity, |dir, scope| {
        let Some(mirrors) = dir.open_subdir(MIRRORS_DIR)? else {
            return Ok(None);
        };
        Ok(mirrors
            .read_file(&name)?
            .map(|file| FoundMirror { file, scope }))
    })
}

/// One scope's tree: repository files, then the host file, then the
/// wildcard file. `has_repositories` carries over from narrower scopes: a
/// registry-wide answer there would stand in for their repository files.
fn find_in(
    dir: &TrustedDir,
    image: &Reference,
    scope: Scope,
    lookup: &mut Lookup,
    has_repositories: &mut bool,
) -> Result<Option<Found>, TrustError> {
    let Some(domain) = image.domain() else {
        // `foo_bar.com/baz` normalizes to no domain at all: no registry to answer for.
        return Ok(None);
    };
    let stem = domain.file_stem();
    if layout::file_name(&stem).is_none() {
        return Ok(None);
    }
    let found = |file, rule, has_repositories| {
        Some(Found {
            file,
            rule,
            registry_has_repositories: has_repositories,
            scope: scope.clone(),
        })
    };
    if let Some(domain_dir) = dir.open_subdir(&stem)? {
        *has_repositories = true;
        let components: Vec<&str> = image.path().components().collect();
        // Descend as far as directories exist (the last component can only be
        // a file), then try files from the deepest level up.
        let mut dirs = alloc::vec![domain_dir];
        for component in components.iter().take(components.len().saturating_sub(1)) {
            let Some(parent) = dirs.last() else { break };
            if layout::file_name(component).is_none() {
                break;
            }
            match parent.open_subdir(component)? {
                Some(sub) => dirs.push(sub),
                None => break,
            }
        }
        for (depth, repository_dir) in dirs.iter().enumerate().rev() {
            let Some(component) = components.get(depth) else {
                continue;
            };
            if let Some(file) = lookup.try_file(repository_dir, component)? {
                let prefix = components.get(..=depth).unwrap_or_default().join("/");
                return Ok(found(file, Rule::Repository(prefix), true));
            }
        }
    }
    if let Some(file) = lookup.try_file(dir, &stem)? {
        return Ok(found(file, Rule::Host, *has_repositories));
    }
    if let Some(wildcard) = domain.wildcard_stem() {
        if let Some(file) = lookup.try_file(dir, &wildcard)? {
            return Ok(found(file, Rule::Wildcard, *has_repositories));
        }
    }
    Ok(None)
}

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
//! `<domain>` is the host lowercased with its `:port` kept. Lookup says what
//! it found; what the answer is keyed by is `answer`'s decision.

use crate::layout;
use crate::reference::Reference;
use crate::trust::{TrustError, TrustedDir, TrustedFile};
use alloc::string::String;
use alloc::vec::Vec;

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
    /// Whether the registry has a per-repository directory.
    pub(crate) registry_has_repositories: bool,
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

    fn found(mut self, file: TrustedFile, rule: Rule, registry_has_repositories: bool) -> Self {
        self.found = Some(Found {
            file,
            rule,
            registry_has_repositories,
        });
        self
    }
}

/// Looks up the credential file for `image` under `root`; with `trace`, the
/// paths tried are recorded too. A file that exists but breaks a rule is an
/// error, never a reason to fall through to a wider rule.
pub(crate) fn find(
    root: &TrustedDir,
    image: &Reference,
    trace: bool,
) -> Result<Lookup, TrustError> {
    let mut lookup = Lookup {
        found: None,
        tried: trace.then(Vec::new),
    };
    let Some(domain) = image.domain() else {
        // `foo_bar.com/baz` normalizes to no domain at all: no registry to answer for.
        return Ok(lookup);
    };
    let stem = domain.file_stem();
    if layout::file_name(&stem).is_none() {
        return Ok(lookup);
    }
    // A per-repository directory makes host and wildcard answers per image
    // too (see `answer`).
    let mut has_repositories = false;
    if let Some(domain_dir) = root.open_subdir(&stem)? {
        has_repositories = true;
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
                Some(dir) => dirs.push(dir),
                None => break,
            }
        }
        for (depth, dir) in dirs.iter().enumerate().rev() {
            let Some(component) = components.get(depth) else {
                continue;
            };
            if let Some(file) = lookup.try_file(dir, component)? {
                let prefix = components.get(..=depth).unwrap_or_default().join("/");
                return Ok(lookup.found(file, Rule::Repository(prefix), true));
            }
        }
    }
    if let Some(file) = lookup.try_file(root, &stem)? {
        return Ok(lookup.found(file, Rule::Host, has_repositories));
    }
    if let Some(wildcard) = domain.wildcard_stem() {
        if let Some(file) = lookup.try_file(root, &wildcard)? {
            return Ok(lookup.found(file, Rule::Wildcard, has_repositories));
        }
    }
    Ok(lookup)
}

//! `check`: the operator's audit, run on a node image at build time or by
//! hand. It reads the credential root with the very code plugin mode uses
//! (the same trust walk, lookup, strict decoding, response writer and
//! matcher) and prints one finding per line, a summary last, and never a
//! secret: only paths, keys, cache settings and reasons.

use crate::answer::{self, DEFAULT_CACHE_DURATION};
use crate::cli::CheckOptions;
use crate::credfile::{self, ContentError};
use crate::error::Escaped;
use crate::kubelet_config::{self, Provider};
use crate::layout::{self, SUFFIX, WILDCARD_PREFIX};
use crate::lookup::{self, Identity, NAMESPACES_DIR, Rule, SERVICE_ACCOUNTS_DIR, Scope};
use crate::matcher;
use crate::reference::{self, Domain};
use crate::request::ApiVersion;
use crate::sys::FileType;
use crate::token::{Namespace, ServiceAccountName};
use crate::trust::{self, TrustError, TrustedDir};
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Docker Hub host names the kubelet never sends (it normalizes to docker.io).
const HUB_ALIASES: [&str; 2] = ["index.docker.io", "registry-1.docker.io"];

/// A usable credential file, for the coverage check.
struct Usable {
    path: String,
    /// The host glob it answers (`registry.example.org:5000`, `*.example.org`).
    host_glob: String,
    /// The path prefix of a repository file, empty for host files.
    prefix: String,
}

/// The audit's findings and counters.
#[derive(Default)]
struct Audit {
    lines: Vec<String>,
    failures: usize,
    files: usize,
    usable: Vec<Usable>,
    /// Namespace and service-account trees found.
    scoped_trees: usize,
}

impl Audit {
    fn ok(&mut self, line: String) {
        self.lines.push(format!("ok    {line}"));
    }
    fn fail(&mut self, line: String) {
        self.failures += 1;
        self.lines.push(format!("FAIL  {line}"));
    }
    fn note(&mut self, line: String) {
        self.lines.push(format!("note  {line}"));
    }
}

/// Runs the audit and prints it; exit code 1 if anything is unusable.
/// `program` is how this binary was started (`argv[0]`).
pub(crate) fn run(options: &CheckOptions, program: &[u8]) -> u8 {
    // The kubelet runs `<bin-dir>/<name>`: the name to compare is the last
    // component of how this binary was started.
    let binary_name = crate::lossy(program.rsplit(|&b| b == b'/').next().unwrap_or_default());
    let binary_name = if binary_name.is_empty() {
        crate::PROGRAM.to_string()
    } else {
        binary_name
    };
    let audit = audit(options, &binary_name);
    let mut text = String::new();
    for line in &audit.lines {
        text.push_str(line);
        text.push('\n');
    }
    text.push_str(&format!(
        "summary: {} credential file(s), {} usable; {} problem(s): {}\n",
        audit.files,
        audit.usable.len(),
        audit.failures,
        if audit.failures == 0 {
            "all usable"
        } else {
            "NOT usable"
        }
    ));
    crate::print_stdout(&text);
    u8::from(audit.failures != 0)
}

fn audit(options: &CheckOptions, binary_name: &str) -> Audit {
    let mut audit = Audit::default();
    let credroot = options.root();
    let root = match TrustedDir::open_root(&credroot) {
        Ok(root) => {
            audit.ok(format!("credential root {}", Escaped(credroot.as_str())));
            Some(root)
        }
        Err(e) => {
            audit.fail(explain(&e));
            None
        }
    };
    if let Some(root) = &root {
        audit_tree(root, Tree::Node, &mut audit);
        let identity = options
            .identity
            .as_ref()
            .map(|(namespace, service_account)| Identity {
                namespace,
                service_account,
            });
        for image in &options.images {
            explain_image(root, image, identity, &mut audit);
        }
    }
    if let Some(path) = &options.kubelet_config {
        audit_config(path, options, binary_name, &mut audit);
    }
    audit
}

/// An error line; a permission error says so instead of guessing.
fn explain(e: &TrustError) -> String {
    if e.is_permission_denied() {
        format!("{e} (run check as root to read credential files)")
    } else {
        e.to_string()
    }
}

/// Why a file stem can never be looked up, if it cannot.
fn stem_problem(stem: &str) -> Option<String> {
    let host_part = stem.strip_prefix(WILDCARD_PREFIX).unwrap_or(stem);
    let Some(domain) = Domain::parse(host_part) else {
        return Some(format!(
            "\"{}\" is no valid registry host[:port]",
            Escaped(stem)
        ));
    };
    if stem.starts_with(WILDCARD_PREFIX) && domain.host().starts_with('[') {
        return Some(format!(
            "\"{}\": an IPv6 address has no DNS labels to wildcard",
            Escaped(stem)
        ));
    }
    if HUB_ALIASES.contains(&domain.host()) {
        return Some(format!(
            "\"{}\" can never match: the kubelet sends Docker Hub images as docker.io/...; use docker.io.json",
            Escaped(stem)
        ));
    }
    if stem != stem.to_ascii_lowercase() {
        return Some(format!(
            "\"{}\" can never match: lookups use the lowercased host; rename it to {}{SUFFIX}",
            Escaped(stem),
            Escaped(&stem.to_ascii_lowercase())
        ));
    }
    None
}

/// A directory entry whose name is UTF-8.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    name: String,
    file_type: FileType,
}

fn sorted_names(dir: &TrustedDir, audit: &mut Audit) -> Vec<Entry> {
    let entries = match dir.list() {
        Ok(entries) => entries,
        Err(e) => {
            audit.fail(explain(&e));
            return Vec::new();
        }
    };
    let mut names = Vec::new();
    for entry in entries {
        match String::from_utf8(entry.name) {
            Ok(name) => names.push(Entry {
                name,
                file_type: entry.file_type,
            }),
            Err(raw) => audit.fail(format!(
                "{}: the name is not UTF-8",
                Escaped(&dir.child_path(&crate::lossy(raw.as_bytes())))
            )),
        }
    }
    names.sort_unstable();
    names
}

/// Which kind of credential tree a directory is, for the entries that only
/// one kind may hold (`namespaces/` at the root, `serviceaccounts/` in a
/// namespace).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tree {
    Node,
    Namespace,
    ServiceAccount,
}

/// Audits every directory below `namespaces/` (each a namespace's tree) or
/// below a namespace's `serviceaccounts/`.
fn audit_scopes(dir: &TrustedDir, kind: Tree, audit: &mut Audit) {
    for Entry { name, file_type } in sorted_names(dir, audit) {
        let path = dir.child_path(&name);
        let valid = match kind {
            Tree::Namespace => Namespace::parse(&name).is_some(),
            _ => ServiceAccountName::parse(&name).is_some(),
        };
        if file_type != FileType::Directory || !valid {
            audit.fail(format!(
                "{}: not a {} directory, so never read ({})",
                Escaped(&path),
                if kind == Tree::Namespace {
                    "namespace"
                } else {
                    "service account"
                },
                if file_type == FileType::Directory {
                    "not a valid Kubernetes name"
                } else {
                    "not a directory"
                }
            ));
            continue;
        }
        match dir.open_subdir(&name) {
            Ok(Some(sub)) => {
                audit.scoped_trees += 1;
                audit_tree(&sub, kind, audit);
            }
            Ok(None) => {}
            Err(e) => audit.fail(explain(&e)),
        }
    }
}

fn audit_tree(root: &TrustedDir, tree: Tree, audit: &mut Audit) {
    for Entry { name, file_type } in sorted_names(root, audit) {
        let path = root.child_path(&name);
        let scope_dir = match tree {
            Tree::Node => (name == NAMESPACES_DIR).then_some(Tree::Namespace),
            Tree::Namespace => (name == SERVICE_ACCOUNTS_DIR).then_some(Tree::ServiceAccount),
            Tree::ServiceAccount => None,
        };
        if let Some(kind) = scope_dir.filter(|_| file_type == FileType::Directory) {
            match root.open_subdir(&name) {
                Ok(Some(dir)) => audit_scopes(&dir, kind, audit),
                Ok(None) => {}
                Err(e) => audit.fail(explain(&e)),
            }
            continue;
        }
        let is_dir = file_type == FileType::Directory;
        // A link named like a registry would be taken for its directory.
        let looks_like_registry = file_type == FileType::Symlink && stem_problem(&name).is_none();
        if let Some(stem) = layout::stem(&name).filter(|_| !is_dir) {
            audit.files += 1;
            if let Some(problem) = stem_problem(stem) {
                audit.fail(format!("{}: {problem}", Escaped(&path)));
                continue;
            }
            audit_file(root, &name, stem.to_owned(), String::new(), audit);
        } else if is_dir && name.starts_with(WILDCARD_PREFIX) {
            audit.fail(format!(
                "{}: a wildcard directory is never read; repository files live under the exact registry name",
                Escaped(&path)
            ));
        } else if is_dir || looks_like_registry {
            if let Some(problem) = stem_problem(&name) {
                audit.fail(format!("{}: directory {problem}", Escaped(&path)));
                continue;
            }
            match root.open_subdir(&name) {
                Ok(Some(dir)) => audit_repository_dir(&dir, &name, "", audit),
                Ok(None) => {}
                Err(e) => audit.fail(explain(&e)),
            }
        } else {
            audit.note(format!(
                "{}: ignored (not a .json file or a registry directory)",
                Escaped(&path)
            ));
        }
    }
}

fn audit_repository_dir(dir: &TrustedDir, domain: &str, prefix: &str, audit: &mut Audit) {
    for Entry { name, file_type } in sorted_names(dir, audit) {
        let path = dir.child_path(&name);
        let is_dir = file_type == FileType::Directory;
        let join = |c: &str| {
            if prefix.is_empty() {
                c.to_owned()
            } else {
                format!("{prefix}/{c}")
            }
        };
        if let Some(component) = layout::stem(&name).filter(|_| !is_dir) {
            audit.files += 1;
            if !is_path_component(component) {
                audit.fail(format!(
                    "{}: \"{}\" is no valid repository path component (lowercase letters, digits, . _ __ -)",
                    Escaped(&path),
                    Escaped(component)
                ));
                continue;
            }
            audit_file(dir, &name, domain.to_owned(), join(component), audit);
        } else if is_dir && is_path_component(&name) {
            match dir.open_subdir(&name) {
                Ok(Some(sub)) => audit_repository_dir(&sub, domain, &join(&name), audit),
                Ok(None) => {}
                Err(e) => audit.fail(explain(&e)),
            }
        } else if is_dir {
            audit.fail(format!(
                "{}: \"{}\" is no valid repository path component",
                Escaped(&path),
                Escaped(&name)
            ));
        } else if file_type == FileType::Symlink && is_path_component(&name) {
            match dir.open_subdir(&name) {
                Err(e) => audit.fail(explain(&e)),
                Ok(_) => audit.note(format!("{}: ignored", Escaped(&path))),
            }
        } else {
            audit.note(format!("{}: ignored (not a .json file)", Escaped(&path)));
        }
    }
}

fn is_path_component(s: &str) -> bool {
    reference::RepoPath::is_component(s)
}

fn audit_file(dir: &TrustedDir, name: &str, host_glob: String, prefix: String, audit: &mut Audit) {
    let file = match dir.read_file(name) {
        Ok(Some(file)) => file,
        Ok(None) => return,
        Err(e) => return audit.fail(explain(&e)),
    };
    match credfile::decode(file.contents.as_bytes()) {
        Ok(credential) => {
            let what = if prefix.is_empty() {
                format!("answers {host_glob}")
            } else {
                format!("answers {host_glob}/{prefix} and below")
            };
            audit.ok(format!(
                "{}: {what}, cacheDuration {}",
                Escaped(&file.path),
                credential.duration.unwrap_or(DEFAULT_CACHE_DURATION)
            ));
            audit.usable.push(Usable {
                path: file.path,
                host_glob,
                prefix,
            });
        }
        Err(problem) => audit.fail(
            ContentError {
                path: file.path,
                problem,
            }
            .to_string(),
        ),
    }
}

fn explain_image(
    root: &TrustedDir,
    image: &str,
    identity: Option<Identity<'_>>,
    audit: &mut Audit,
) {
    let head = match identity {
        Some(id) => format!(
            "image \"{}\" for service account {} of namespace {}",
            Escaped(image),
            id.service_account.as_str(),
            id.namespace.as_str()
        ),
        None => format!("image \"{}\"", Escaped(image)),
    };
    let parsed = match reference::parse_normalized_named(image) {
        Ok(parsed) => parsed,
        Err(e) => return audit.fail(format!("{head}: invalid: {e}")),
    };
    let name = parsed.name();
    let Some(domain) = parsed.domain() else {
        return audit.note(format!(
            "{head}: normalizes to \"{name}\" with no registry; the plugin answers no credentials"
        ));
    };
    audit.note(format!(
        "{head}: the kubelet sends \"{name}\" (domain {}, path {})",
        domain.as_str(),
        parsed.path().as_str()
    ));
    let lookup = match lookup::find(root, &parsed, identity, true) {
        Ok(lookup) => lookup,
        Err(e) => return audit.fail(format!("{head}: {}", explain(&e))),
    };
    let tried = lookup
        .tried
        .iter()
        .flatten()
        .map(|t| Escaped(t).to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let Some(found) = lookup.found else {
        return audit.note(format!(
            "{head}: no credential file answers it (tried {tried}); the plugin answers no credentials, cacheDuration 0s"
        ));
    };
    let answer = match answer::answer_for(&found, domain, &parsed) {
        Ok(answer) => answer,
        Err(e) => return audit.fail(format!("{head}: {e}")),
    };
    let verdict = answer::write(ApiVersion::V1, Some(&answer), &name).err();
    let line = format!(
        "{head}: answered by {} ({}{}): key \"{}\", cacheKeyType {}, cacheDuration {}; {}",
        Escaped(&found.file.path),
        match &found.rule {
            Rule::Repository(p) => format!("repository file for {}/{p}", domain.as_str()),
            Rule::Host => "registry file".to_owned(),
            Rule::Wildcard => "wildcard file".to_owned(),
        },
        match &found.scope {
            Scope::Node => String::new(),
            scope => format!(" for {scope}"),
        },
        Escaped(&answer.key),
        answer.cache_key_type.as_str(),
        answer.cache_duration,
        match &verdict {
            None => "the kubelet would accept the answer and use it for this image",
            Some(answer::AnswerError::Mismatch { .. }) => {
                "the kubelet would not use the answer for this image (its key does not match)"
            }
            Some(_) => "the answer could not be written",
        }
    );
    if verdict.is_some() {
        audit.fail(line)
    } else {
        audit.ok(line)
    }
}

fn audit_config(path: &str, options: &CheckOptions, binary_name: &str, audit: &mut Audit) {
    let head = format!("kubelet config {}", Escaped(path));
    let text = match read_config(path) {
        Ok(text) => text,
        Err(why) => return audit.fail(format!("{head}: {why}")),
    };
    let report = kubelet_config::check(&text, binary_name);
    for finding in &report.findings {
        audit.fail(format!("{head}: {finding}"));
    }
    let ours: Vec<&Provider> = report
        .providers
        .iter()
        .filter(|p| p.name == binary_name)
        .collect();
    if ours.is_empty() {
        return;
    }
    if report.findings.is_empty() {
        audit.ok(format!(
            "{head}: valid; provider \"{}\" is this binary",
            Escaped(binary_name)
        ));
    }
    let credroot = options.root();
    for provider in &ours {
        if let Some(root) = credroot_arg(&provider.args) {
            if root.trim_end_matches('/') != credroot.as_str().trim_end_matches('/') {
                audit.note(format!(
                    "{head}: provider passes --credroot \"{}\" but this check read \"{}\"",
                    Escaped(root),
                    Escaped(credroot.as_str())
                ));
            }
        }
    }
    let match_images: Vec<&str> = ours
        .iter()
        .flat_map(|p| p.match_images.iter().map(String::as_str))
        .collect();
    for usable in &audit
        .usable
        .iter()
        .map(|u| (u.path.clone(), covered(u, &match_images)))
        .collect::<Vec<_>>()
    {
        if !usable.1 {
            audit.fail(format!(
                "{}: no matchImages entry of provider \"{}\" routes its images to this plugin (add one, with the port if it has one)",
                Escaped(&usable.0),
                Escaped(binary_name)
            ));
        }
    }
    for image in &options.images {
        if let Ok(parsed) = reference::parse_normalized_named(image) {
            let name = parsed.name();
            match match_images.iter().find(|m| kubelet_config::routes(m, &name)) {
                Some(m) => audit.note(format!("image \"{}\": routed to this plugin by matchImages \"{}\"", Escaped(image), Escaped(m))),
                None => audit.fail(format!(
                    "image \"{}\": no matchImages entry routes \"{}\" to this plugin; the kubelet never asks it",
                    Escaped(image),
                    Escaped(&name)
                )),
            }
        }
    }
}

/// Reads the kubelet config (not a secret: no trust rules, but bounded).
fn read_config(path: &str) -> Result<String, String> {
    let bytes =
        trust::read_bounded(path, kubelet_config::MAX_CONFIG_BYTES).map_err(|e| match e {
            trust::BoundedReadError::Open(e) => format!("cannot open: {e}"),
            trust::BoundedReadError::Read(e) => format!("cannot read: {e}"),
            trust::BoundedReadError::TooLarge => {
                format!("larger than {} bytes", kubelet_config::MAX_CONFIG_BYTES)
            }
        })?;
    String::from_utf8(bytes.as_bytes().to_vec()).map_err(|_| "not UTF-8".to_string())
}

fn credroot_arg(args: &[String]) -> Option<&str> {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--credroot" {
            return it.next().map(String::as_str);
        }
        if let Some(v) = arg.strip_prefix("--credroot=") {
            return Some(v);
        }
    }
    None
}

/// Whether some `matchImages` entry routes at least one image this file
/// answers: the hosts overlap (either glob matches the other) and the paths
/// are compatible (one is a prefix of the other).
fn covered(file: &Usable, match_images: &[&str]) -> bool {
    let file_path = format!("/{}", file.prefix);
    let Ok(file_url) = matcher::parse_schemeless_url(&file.host_glob) else {
        return false;
    };
    match_images.iter().any(|m| {
        let Ok(m_url) = matcher::parse_schemeless_url(m) else {
            return false;
        };
        let (m_host, f_host) = (
            matcher::Url {
                host: m_url.host.clone(),
                path: String::new(),
            },
            matcher::Url {
                host: file_url.host.clone(),
                path: String::new(),
            },
        );
        let hosts = matcher::urls_match(&m_host, &f_host) || matcher::urls_match(&f_host, &m_host);
        let paths = file_path.starts_with(&m_url.path) || m_url.path.starts_with(&file_path);
        hosts && paths
    })
}

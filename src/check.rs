//! `check`: the operator's audit, run on a node image at build time or by
//! hand. It reads the credential root with the very code plugin mode uses
//! (the same trust walk, lookup, strict decoding, response writer and
//! matcher) and prints one finding per line, a summary last, and never a
//! secret: only paths, keys, cache settings and reasons.
//!
//! With `--kubelet-config` it reads the kubelet's config first, a file or a
//! directory of them as the kubelet does, parses each of this binary's
//! providers' `args` with the plugin's own command-line parser, and audits
//! the credential roots those args name: what the kubelet will run.

use crate::answer::{self, DEFAULT_CACHE_DURATION};
use crate::cli::{self, CheckOptions, Command};
use crate::credfile::{self, ContentError};
use crate::errno::Errno;
use crate::error::Escaped;
use crate::json;
use crate::kubelet_config::{self, Provider};
use crate::layout::{self, SUFFIX, WILDCARD_PREFIX};
use crate::lookup::{self, Identity, NAMESPACES_DIR, Rule, SERVICE_ACCOUNTS_DIR, Scope};
use crate::matcher;
use crate::mirror::{self, MIRRORS_DIR};
use crate::reference::{self, Domain, Reference};
use crate::request::ApiVersion;
use crate::sys::{self, FileType, Perm};
use crate::token::{Namespace, ServiceAccountName};
use crate::trust::{self, CredRoot, Refused, TrustError, TrustedDir, Violation};
use alloc::borrow::ToOwned;
use alloc::ffi::CString;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Docker Hub host names the kubelet never sends (it normalizes to docker.io).
const HUB_ALIASES: [&str; 2] = ["index.docker.io", "registry-1.docker.io"];

/// The file name extensions the kubelet reads in a config directory
/// (`filepath.Ext`, case-sensitive).
const CONFIG_EXTENSIONS: [&str; 3] = [".json", ".yaml", ".yml"];

/// The entry a Kubernetes Secret (or ConfigMap) volume keeps its current
/// files under: a symbolic link to a timestamped directory (`..2026_…`),
/// with a symbolic link per key beside it.
const PROJECTION_DATA: &str = "..data";

/// Sticky and writable by others: a shared directory such as `/tmp`.
const SHARED_DIRECTORY: u32 = 0o1002;

const OK: &str = "ok    ";
const FAIL: &str = "FAIL  ";
const NOTE: &str = "note  ";

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
    /// Usable mirror files found.
    mirrors: usize,
    /// The root being audited, for hints that name it.
    root: String,
    /// What the root itself holds for hosts: each `.json` file's stem, and
    /// each registry directory's name followed by `/`.
    stems: Vec<String>,
    /// The root's `namespaces/` directory, if it has one.
    namespaces: Option<String>,
}

impl Audit {
    fn line(&mut self, kind: &str, line: String) {
        if kind == FAIL {
            self.failures += 1;
        }
        self.lines.push(format!("{kind}{line}"));
    }
    fn ok(&mut self, line: String) {
        self.line(OK, line);
    }
    fn fail(&mut self, line: String) {
        self.line(FAIL, line);
    }
    fn note(&mut self, line: String) {
        self.line(NOTE, line);
    }
}

/// One of this binary's providers in the kubelet config.
struct Ours {
    /// `kubelet config <file>: providers[<i>]`.
    at: String,
    match_images: Vec<String>,
    /// The root its args name; `None` if plugin mode refuses its args.
    root: Option<CredRoot>,
    has_token: bool,
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
        if !options.quiet || line.starts_with(FAIL) {
            text.push_str(line);
            text.push('\n');
        }
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

/// Whether two roots name the same directory (`/a//b/` is `/a/b`).
fn same_root(a: &CredRoot, b: &CredRoot) -> bool {
    fn parts(r: &CredRoot) -> impl Iterator<Item = &str> {
        r.as_str().split('/').filter(|c| !c.is_empty())
    }
    parts(a).eq(parts(b))
}

fn audit(options: &CheckOptions, binary_name: &str) -> Audit {
    let mut audit = Audit::default();
    let mut ours = Vec::new();
    if let Some(path) = &options.kubelet_config {
        ours = read_configs(path, binary_name, &mut audit);
    }
    // The roots the kubelet will use, then check's own if it is another.
    let mut roots: Vec<CredRoot> = Vec::new();
    for root in ours.iter().filter_map(|o| o.root.as_ref()) {
        if !roots.iter().any(|r| same_root(r, root)) {
            roots.push(root.clone());
        }
    }
    match &options.credroot {
        _ if roots.is_empty() => roots.push(options.root()),
        Some(given) if !roots.iter().any(|r| same_root(r, given)) => {
            audit.note(format!(
                "--credroot {} is not the root the kubelet uses: its provider args name {}; both are audited",
                Escaped(given.as_str()),
                roots
                    .iter()
                    .map(|r| Escaped(r.as_str()).to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            roots.push(given.clone());
        }
        _ => {}
    }
    for root in &roots {
        audit_root(
            root,
            options,
            options.kubelet_config.is_some(),
            &ours,
            &mut audit,
        );
    }
    if options.kubelet_config.is_some() {
        route_images(options, &ours, &mut audit);
    }
    if audit.mirrors > 0 {
        for note in MIRROR_NOTES {
            audit.note(note.to_string());
        }
    }
    audit
}

/// Reads the kubelet config, a file or a directory (kubernetes
/// `pkg/credentialprovider/plugin/config.go`, `readCredentialProviderConfig`:
/// `os.ReadDir`, the non-directory entries whose `filepath.Ext` is `.json`,
/// `.yaml` or `.yml`, `sort.Strings`, each decoded on its own, the providers
/// concatenated; no file is an error, and so is a provider name given twice).
/// Returns this binary's providers.
fn read_configs(path: &str, binary_name: &str, audit: &mut Audit) -> Vec<Ours> {
    let head = format!("kubelet config {}", Escaped(path));
    let mut ours = Vec::new();
    let mut names = Vec::new();
    // `/.` follows a symbolic link to a directory, as the kubelet's
    // `os.Stat` does; a file fails with ENOTDIR and is read as one below.
    let listing = CString::new(format!("{path}/."))
        .ok()
        .and_then(|c| sys::open_at(None, &c, sys::Open::DirRead).ok())
        .map(|dir| sys::list_dir(&dir));
    match listing {
        None => read_config(path, &head, binary_name, &mut ours, &mut names, audit),
        Some(Err(e)) => audit.fail(format!("{head}: cannot list: {e}")),
        Some(Ok(entries)) => {
            audit.note(format!(
                "{head}: a directory of configs needs kubelet 1.34 or later (older ones fail to start)"
            ));
            let mut files = Vec::new();
            for entry in entries {
                match String::from_utf8(entry.name) {
                    Ok(name) => files.push(Entry {
                        name,
                        file_type: entry.file_type,
                    }),
                    Err(raw) => audit.fail(format!(
                        "{head}: a file name is not UTF-8 ({}), so check cannot read it",
                        Escaped(&crate::lossy(raw.as_bytes()))
                    )),
                }
            }
            // Go's `sort.Strings`: by bytes, as `String` orders (the same
            // sort as the root's listing, so the binary carries one).
            files.sort_unstable();
            let mut read = 0;
            for Entry { name, file_type } in &files {
                let file = format!("{}/{name}", path.trim_end_matches('/'));
                let file_head = format!("kubelet config {}", Escaped(&file));
                let ext = name.rfind('.').and_then(|i| name.get(i..)).unwrap_or("");
                if *file_type == FileType::Directory || !CONFIG_EXTENSIONS.contains(&ext) {
                    audit.note(format!(
                        "{file_head}: ignored (the kubelet reads only *.json, *.yaml and *.yml files, and no subdirectory)"
                    ));
                } else {
                    read += 1;
                    read_config(&file, &file_head, binary_name, &mut ours, &mut names, audit);
                }
            }
            if read == 0 {
                audit.fail(format!(
                    "{head}: no configuration files found in directory, so the kubelet fails to start (it reads *.json, *.yaml and *.yml)"
                ));
            }
        }
    }
    for (i, name) in names.iter().enumerate() {
        if names.get(..i).is_some_and(|before| before.contains(name)) {
            audit.fail(format!(
                "{head}: duplicate provider name \"{}\" found in configuration file(s)",
                Escaped(name)
            ));
        }
    }
    if ours.is_empty() && !names.is_empty() {
        audit.fail(format!(
            "{head}: no provider is named \"{}\" (this binary's file name), so the kubelet never runs it; the providers are {}",
            Escaped(binary_name),
            names
                .iter()
                .map(|n| format!("\"{}\"", Escaped(n)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    ours
}

/// Reads and checks one config file; collects its provider names and this
/// binary's providers.
fn read_config(
    path: &str,
    head: &str,
    binary_name: &str,
    ours: &mut Vec<Ours>,
    names: &mut Vec<String>,
    audit: &mut Audit,
) {
    // Not a secret: no trust rules, but bounded.
    let max = kubelet_config::MAX_CONFIG_BYTES;
    let text = match trust::read_bounded(path, max) {
        Ok(bytes) => String::from_utf8(bytes.as_bytes().to_vec()).ok(),
        Err(trust::BoundedReadError::Open(e)) if e == Errno::from_raw(libc::ELOOP) => {
            return audit.fail(format!(
                "{head}: a symbolic link, which check does not follow (the kubelet does): pass its target to --kubelet-config"
            ));
        }
        Err(trust::BoundedReadError::TooLarge) => {
            return audit.fail(format!("{head}: larger than {max} bytes"));
        }
        Err(e) => return audit.fail(format!("{head}: {e}")),
    };
    let Some(text) = text else {
        return audit.fail(format!("{head}: not UTF-8"));
    };
    let report = kubelet_config::check(&text, binary_name);
    for finding in &report.findings {
        audit.fail(format!("{head}: {finding}"));
    }
    for note in &report.notes {
        audit.note(format!("{head}: {note}"));
    }
    if report.findings.is_empty() {
        audit.ok(format!("{head}: valid"));
    }
    for provider in report.providers {
        names.push(provider.name.clone());
        if provider.name == binary_name {
            ours.push(our_provider(head, provider, audit));
        }
    }
}

/// This binary's provider: its args as plugin mode parses them, and the
/// settings that do not do what they seem to.
fn our_provider(head: &str, p: Provider, audit: &mut Audit) -> Ours {
    let at = format!("{head}: providers[{}]", p.index);
    // Args that are no list of strings are a finding already.
    let args = p.args.as_deref().unwrap_or_default();
    let parsed = p
        .args
        .as_ref()
        .map(|args| cli::parse(args.iter().map(|a| a.as_bytes())));
    let (root, audience) = match parsed {
        None => (None, None),
        Some(Ok(Command::Plugin(options))) => {
            audit.ok(format!(
                "{at} runs this binary with credential root {}",
                Escaped(options.credroot.as_str())
            ));
            (Some(options.credroot), options.audience)
        }
        Some(Ok(_)) => {
            // A subcommand first, or --help/--version anywhere.
            let arg = args
                .iter()
                .find(|a| matches!(a.as_str(), "-h" | "--help" | "-V" | "--version"))
                .or(args.first())
                .map_or("", String::as_str);
            audit.fail(format!(
                "{at}.args: \"{}\" makes the plugin run another command than plugin mode, so it never answers and every pull fails",
                Escaped(arg)
            ));
            (None, None)
        }
        Some(Err(e)) => {
            audit.fail(format!(
                "{at}.args: plugin mode refuses them, so every pull fails: {e}"
            ));
            (None, None)
        }
    };
    if p.has_env {
        audit.note(format!(
            "{at}.env: the plugin reads no environment, so these variables change nothing (pass flags in args)"
        ));
    }
    if let Some((text, duration)) = &p.default_cache_duration {
        if *duration != DEFAULT_CACHE_DURATION {
            audit.note(format!(
                "{at}.defaultCacheDuration \"{}\" is never used: every answer carries its file's duration (default {DEFAULT_CACHE_DURATION}); set \"duration\" in the credential files",
                Escaped(text)
            ));
        }
    }
    if let Some(token) = &p.token {
        if token.require_service_account == Some(true) {
            audit.note(format!(
                "{at}.tokenAttributes.requireServiceAccount is true: the kubelet does not run the plugin for a pod without a service account (a static pod), so such pods get no credentials from it, not even the root's"
            ));
        }
        match (&audience, &token.audience) {
            (Some(ours), Some(theirs)) if ours != theirs => audit.fail(format!(
                "{at}.args: --service-account-audience \"{}\" is not tokenAttributes.serviceAccountTokenAudience \"{}\", so the plugin refuses every token the kubelet sends",
                Escaped(ours),
                Escaped(theirs)
            )),
            (None, Some(theirs)) => audit.note(format!(
                "{at}.args: add \"--service-account-audience\", \"{}\", so the plugin refuses a token meant for another audience",
                Escaped(theirs)
            )),
            _ => {}
        }
    }
    Ours {
        at,
        match_images: p.match_images,
        root,
        has_token: p.token.is_some(),
    }
}

/// Audits one credential root; with a kubelet config, also what its
/// providers route to it. A root no provider names (check's own
/// `--credroot`) stands in for all of them.
fn audit_root(
    root: &CredRoot,
    options: &CheckOptions,
    with_config: bool,
    ours: &[Ours],
    audit: &mut Audit,
) {
    let mut providers: Vec<&Ours> = ours
        .iter()
        .filter(|o| o.root.as_ref().is_some_and(|r| same_root(r, root)))
        .collect();
    if providers.is_empty() {
        providers = ours.iter().collect();
    }
    let dir = match TrustedDir::open_root(root) {
        Ok(dir) => {
            audit.ok(format!("credential root {}", Escaped(root.as_str())));
            dir
        }
        Err(e) => {
            // A Secret volume is refused for its mode before it can be listed.
            let projection = CString::new(root.as_str())
                .ok()
                .and_then(|c| sys::open_at(None, &c, sys::Open::DirRead).ok())
                .and_then(|d| sys::list_dir(&d).ok())
                .is_some_and(|entries| {
                    entries.iter().any(|e| e.name == PROJECTION_DATA.as_bytes())
                });
            return audit.fail(if projection {
                projection_hint(root.as_str())
            } else {
                explain_root(&e)
            });
        }
    };
    audit.root = root.as_str().to_owned();
    audit.stems.clear();
    audit.namespaces = None;
    let first_usable = audit.usable.len();
    audit_tree(&dir, Tree::Node, audit);
    let identity = options
        .identity
        .as_ref()
        .map(|(namespace, service_account)| Identity {
            namespace,
            service_account,
        });
    for image in &options.images {
        explain_image(&dir, image, identity, audit);
    }
    // Without a provider of this binary (a finding already), nothing is routed.
    if !with_config || ours.is_empty() {
        return;
    }
    let match_images: Vec<&str> = providers
        .iter()
        .flat_map(|p| p.match_images.iter().map(String::as_str))
        .collect();
    let uncovered: Vec<String> = audit
        .usable
        .get(first_usable..)
        .unwrap_or_default()
        .iter()
        .filter(|u| !covered(u, &match_images))
        .map(|u| u.path.clone())
        .collect();
    for path in uncovered {
        audit.fail(format!(
            "{}: no matchImages entry of this binary's provider routes its images to this plugin (add one, with the port if it has one)",
            Escaped(&path)
        ));
    }
    if let Some(path) = audit.namespaces.take() {
        if !providers.iter().any(|p| p.has_token) {
            audit.fail(format!(
                "{}: no provider of this binary has tokenAttributes, so the kubelet never sends a service-account token and these files are never used (add tokenAttributes with serviceAccountTokenAudience, cacheType ServiceAccount and requireServiceAccount)",
                Escaped(&path)
            ));
        }
    }
    for p in &providers {
        for m in &p.match_images {
            let Ok(url) = matcher::parse_schemeless_url(m) else {
                continue;
            };
            if let Some(hint) = port_hint(&dir, &url.host.to_ascii_lowercase(), &audit.stems) {
                let line = format!("{}.matchImages \"{}\": {hint}", p.at, Escaped(m));
                audit.note(line);
            }
        }
    }
}

/// The images given: is each routed to this plugin by a `matchImages` entry?
fn route_images(options: &CheckOptions, ours: &[Ours], audit: &mut Audit) {
    let match_images: Vec<&str> = ours
        .iter()
        .flat_map(|p| p.match_images.iter().map(String::as_str))
        .collect();
    for image in &options.images {
        if let Ok(parsed) = reference::parse_normalized_named(image) {
            let name = parsed.name();
            match match_images
                .iter()
                .find(|m| kubelet_config::routes(m, &name))
            {
                Some(m) => audit.note(format!(
                    "image \"{}\": routed to this plugin by matchImages \"{}\"",
                    Escaped(image),
                    Escaped(m)
                )),
                None => audit.fail(format!(
                    "image \"{}\": no matchImages entry routes \"{}\" to this plugin; the kubelet never asks it",
                    Escaped(image),
                    Escaped(&name)
                )),
            }
        }
    }
}

/// For a `host:port` stem (or `*.parent:port`) that nothing in the root
/// answers: the root's file for the same host without a port, if any.
fn port_hint(root: &TrustedDir, stem: &str, stems: &[String]) -> Option<String> {
    if stems
        .iter()
        .any(|s| s.strip_suffix('/').unwrap_or(s) == stem)
    {
        return None;
    }
    let (wildcard, host_part) = match stem.strip_prefix(WILDCARD_PREFIX) {
        Some(rest) => (WILDCARD_PREFIX, rest),
        None => ("", stem),
    };
    let domain = Domain::parse(host_part)?;
    domain.port()?;
    let bare = format!("{wildcard}{}", domain.host());
    stems.contains(&bare).then(|| {
        format!(
            "{}{SUFFIX} answers the host without a port only; did you mean {}{SUFFIX}?",
            Escaped(&root.child_path(&bare)),
            Escaped(stem)
        )
    })
}

/// What to do with a Kubernetes Secret volume given as a credential tree.
fn projection_hint(dir: &str) -> String {
    format!(
        "{d} is a Kubernetes Secret volume (it has {PROJECTION_DATA}): its files are symbolic links into a timestamped directory, and the plugin never follows a link; copy each file into a credential root of its own, e.g. generic-credential-provider put --credroot DIR --json HOST < {d}/HOST.json",
        d = Escaped(dir)
    )
}

/// An error line; a permission error says so instead of guessing.
fn explain(e: &TrustError) -> String {
    if e.is_permission_denied() {
        format!("{e} (run check as root to read credential files)")
    } else {
        e.to_string()
    }
}

/// Why the root cannot be opened. A shared directory on the way (`/tmp`)
/// is shared on purpose: the advice is to move the root, never to chmod it.
fn explain_root(e: &TrustError) -> String {
    match e {
        TrustError::Refused(Refused {
            path,
            violation: Violation::DirectoryWritable(Perm(mode)),
            ..
        }) if mode & SHARED_DIRECTORY == SHARED_DIRECTORY => format!(
            "directory {p} is shared (mode {mode:04o}: anyone may create entries in it), so no credential root can live in it; move the root to a directory of its own, such as {}, and leave the mode of {p} alone",
            CredRoot::DEFAULT,
            p = Escaped(path)
        ),
        _ => explain(e),
    }
}

/// Why a file stem can never be looked up, if it cannot.
fn stem_problem(stem: &str) -> Option<String> {
    let host_part = stem.strip_prefix(WILDCARD_PREFIX).unwrap_or(stem);
    if host_part.contains('*') {
        let parent = stem
            .rsplit('*')
            .next()
            .unwrap_or(stem)
            .trim_start_matches('.');
        return Some(format!(
            "\"{}\" can never match: a wildcard file answers exactly one more DNS label (*.{p}{SUFFIX} answers x.{p}, never x.y.{p}); write one file per host",
            Escaped(stem),
            p = Escaped(parent)
        ));
    }
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
                audit.ok(format!(
                    "{}: the credential tree of {} {name}, tried before the wider ones",
                    Escaped(&path),
                    if kind == Tree::Namespace {
                        "namespace"
                    } else {
                        "service account"
                    },
                ));
                audit_tree(&sub, kind, audit);
            }
            Ok(None) => {}
            Err(e) => audit.fail(explain(&e)),
        }
    }
}

/// Audits a `mirrors/` directory: each `<upstream>.json` read with the
/// trust rules and decoded as plugin mode decodes it.
fn audit_mirrors(dir: &TrustedDir, audit: &mut Audit) {
    for Entry { name, .. } in sorted_names(dir, audit) {
        let path = dir.child_path(&name);
        let Some(upstream) = layout::stem(&name).and_then(Domain::parse) else {
            audit.fail(format!(
                "{}: not named for a registry (mirrors/<host[:port]>.json), so never read",
                Escaped(&path)
            ));
            continue;
        };
        let file = match dir.read_file(&name) {
            Ok(Some(file)) => file,
            Ok(None) => continue,
            Err(e) => {
                audit.fail(explain(&e));
                continue;
            }
        };
        match mirror::decode(file.contents.as_bytes(), &upstream) {
            Ok(m) => {
                audit.mirrors += 1;
                audit.ok(format!(
                    "{}: pulls of {} go through mirror {}: its credentials first, then {}",
                    Escaped(&path),
                    upstream.as_str(),
                    m.mirror.as_str(),
                    then_words(m.then)
                ));
            }
            Err(problem) => audit.fail(
                mirror::MirrorFileError {
                    path: file.path,
                    problem,
                }
                .to_string(),
            ),
        }
    }
}

/// What `then` puts after a mirror's credentials, in words.
fn then_words(then: mirror::Then) -> &'static str {
    match then {
        mirror::Then::Upstream => "the upstream's own (then: upstream)",
        mirror::Then::Anonymous => {
            "an empty username and password, a pull without credentials (then: anonymous)"
        }
        mirror::Then::Nothing => "nothing (then: nothing)",
    }
}

/// The two things every mirror user must know, said once per audit.
const MIRROR_NOTES: [&str; 2] = [
    "mirrors: containerd offers the answer's credentials to every host of the image's hosts.toml, so when the mirror misses, the mirror's credentials also go to the upstream; to keep them on the mirror, set server = \"https://<mirror>\" in /etc/containerd/certs.d/<upstream>/hosts.toml (then nothing goes upstream)",
    "mirrors: CRI-O does not pass request credentials to mirrors; give it the mirror's credentials in its own auth file (global_auth_file in crio.conf)",
];

fn audit_tree(root: &TrustedDir, tree: Tree, audit: &mut Audit) {
    let entries = sorted_names(root, audit);
    let projection = entries.iter().any(|e| e.name == PROJECTION_DATA);
    if projection {
        audit.fail(projection_hint(root.child_path("").trim_end_matches('/')));
    }
    for Entry { name, file_type } in entries {
        // The volume's own entries: explained once above.
        if projection && name.starts_with("..") {
            continue;
        }
        let path = root.child_path(&name);
        if tree == Tree::Node {
            let stem = layout::stem(&name).filter(|_| file_type != FileType::Directory);
            audit.stems.push(match stem {
                Some(stem) => stem.to_owned(),
                None => format!("{name}/"),
            });
            if name == NAMESPACES_DIR && file_type == FileType::Directory {
                audit.namespaces = Some(path.clone());
            }
        }
        if name == MIRRORS_DIR && file_type == FileType::Directory {
            match root.open_subdir(&name) {
                Ok(Some(dir)) => audit_mirrors(&dir, audit),
                Ok(None) => {}
                Err(e) => audit.fail(explain(&e)),
            }
            continue;
        }
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
                    "{}: {}",
                    Escaped(&path),
                    component_problem(component, SUFFIX)
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
                "{}: {}",
                Escaped(&path),
                component_problem(&name, "")
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

/// Why a file or directory name (`suffix` is `.json` or empty) is no
/// repository path component; an upper-case one gets its rename.
fn component_problem(component: &str, suffix: &str) -> String {
    let lower = component.to_ascii_lowercase();
    if is_path_component(&lower) {
        format!(
            "\"{}\" can never match: image paths are lowercase; rename it to {}{suffix}",
            Escaped(component),
            Escaped(&lower)
        )
    } else {
        format!(
            "\"{}\" is no valid repository path component (lowercase letters, digits, . _ __ -)",
            Escaped(component)
        )
    }
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
        // Parsed with the secret-keeping JSON reader: only the key is looked at.
        Err(_)
            if core::str::from_utf8(file.contents.as_bytes())
                .ok()
                .and_then(json::parse)
                .is_some_and(|v| {
                    matches!(v, json::Value::Object(o) if !matches!(o.get("auths"), json::Lookup::Absent))
                }) =>
        {
            audit.fail(format!(
                "{} is a Docker config.json (it has \"auths\"), not a credential file: move it out of the root, then run generic-credential-provider import --credroot {} --docker-config FILE",
                Escaped(&file.path),
                Escaped(&audit.root)
            ));
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

/// Explains an image whose registry has a mirror file: both entries, in the
/// order the kubelet tries them, with the files they come from.
fn explain_through_mirror(
    root: &TrustedDir,
    image: &Reference,
    upstream: &Domain,
    mirror_file: &lookup::FoundMirror,
    identity: Option<Identity<'_>>,
    head: &str,
    audit: &mut Audit,
) {
    let name = image.name();
    let (answer, files) =
        match answer::through_mirror_file(root, image, upstream, mirror_file, identity) {
            Ok(made) => made,
            Err(e) => return audit.fail(format!("{head}: {e}")),
        };
    let verdict = answer::write(ApiVersion::V1, Some(&answer), &name).err();
    let second = match &answer.then {
        None => String::from("nothing after it"),
        Some(then) => format!(
            "then \"{}\" ({})",
            Escaped(&then.key),
            match &then.file {
                Some(file) => format!("the upstream's credentials from {}", Escaped(file)),
                None => String::from("an empty username and password: a pull without credentials"),
            }
        ),
    };
    let line = format!(
        "{head}: through mirror {} ({}, for {}): first \"{}\" (the mirror's credentials from {}), {second}; cacheKeyType {}, cacheDuration {}; {}",
        files.mirror.as_str(),
        Escaped(&mirror_file.file.path),
        mirror_file.scope,
        Escaped(&answer.key),
        Escaped(&files.mirror_credential),
        answer.cache_key_type.as_str(),
        answer.cache_duration,
        match verdict {
            None => "the kubelet tries them in this order",
            Some(_) => "the kubelet would not use the answer for this image (a key does not match)",
        }
    );
    if verdict.is_some() {
        audit.fail(line);
    } else {
        audit.ok(line);
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
    match lookup::find_mirror(root, &parsed, identity) {
        Ok(Some(mirror_file)) => {
            return explain_through_mirror(
                root,
                &parsed,
                domain,
                &mirror_file,
                identity,
                &head,
                audit,
            );
        }
        Ok(None) => {}
        Err(e) => return audit.fail(format!("{head}: {}", explain(&e))),
    }
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
        audit.note(format!(
            "{head}: no credential file answers it (tried {tried}); the plugin answers no credentials, cacheDuration 0s"
        ));
        if let Some(hint) = port_hint(root, &domain.file_stem(), &audit.stems) {
            audit.note(format!("{head}: {hint}"));
        }
        return;
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

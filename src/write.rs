//! `put` and `import`: the only code that writes credential files. A file is
//! never edited in place: it is written to a private temporary beside its
//! name, synced, decoded back with the plugin's own decoder, and renamed over
//! the name, so a concurrent pull reads the old file or the new one, never a
//! torn, empty or missing one. Every directory on the way is the trust
//! walk's, created 0700 through checked descriptors where missing. Secrets
//! come from stdin or a file, never from the command line.

use crate::credfile;
use crate::dockerconfig::{self, SkipReason, Target};
use crate::duration::Duration;
use crate::errno::Errno;
use crate::error::{Error, Escaped, truncated};
use crate::layout;
use crate::lookup::{NAMESPACES_DIR, SERVICE_ACCOUNTS_DIR};
use crate::response;
use crate::secret::Secret;
use crate::sys;
use crate::token::{Namespace, ServiceAccountName};
use crate::trust::{self, CredRoot, MAX_CREDENTIAL_FILE_BYTES, TrustedDir};
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

/// Which tree a write goes to: the root, a namespace's, or a service
/// account's within it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct WriteScope {
    /// `--namespace`.
    pub(crate) namespace: Option<Namespace>,
    /// `--service-account` (only with a namespace).
    pub(crate) service_account: Option<ServiceAccountName>,
}

impl fmt::Display for WriteScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.namespace, &self.service_account) {
            (Some(ns), Some(sa)) => write!(
                f,
                "pods of service account {} in namespace {}",
                sa.as_str(),
                ns.as_str()
            ),
            (Some(ns), None) => write!(f, "pods in namespace {}", ns.as_str()),
            _ => f.write_str("every pod on the node"),
        }
    }
}

/// Where the secret of a `put` comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PutSecret {
    /// `--username NAME`: the password is one line on stdin.
    Password {
        /// The username.
        username: String,
        /// `--duration`, validated.
        duration: Option<Duration>,
    },
    /// `--json`: a whole credential object on stdin.
    Json,
}

/// `put` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PutOptions {
    /// `--credroot`.
    pub(crate) credroot: CredRoot,
    /// `--namespace`, `--service-account`.
    pub(crate) scope: WriteScope,
    /// Where the secret comes from.
    pub(crate) secret: PutSecret,
    /// What the file answers for.
    pub(crate) target: Target,
}

/// `import` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImportOptions {
    /// `--credroot`.
    pub(crate) credroot: CredRoot,
    /// `--namespace`, `--service-account`.
    pub(crate) scope: WriteScope,
    /// `--docker-config`.
    pub(crate) docker_config: String,
    /// `--dry-run`: report, write nothing.
    pub(crate) dry_run: bool,
}

/// Why a write was refused. No variant holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WriteError {
    /// Standard input could not be read.
    StdinRead(Errno),
    /// Standard input is a terminal: a password typed there is echoed.
    StdinTerminal,
    /// Nothing on standard input.
    StdinEmpty,
    /// More than a credential file may hold.
    StdinTooLarge,
    /// The password is not UTF-8 (a JSON file cannot hold it).
    PasswordNotUtf8,
    /// More than one line on stdin.
    PasswordNotOneLine,
    /// `--json` input the plugin would refuse.
    BadJson(credfile::DecodeError),
    /// The file name would be longer than a name can be.
    NameTooLong,
    /// The file would be larger than the plugin reads (escaping included).
    FileTooLarge(usize),
    /// An empty password on stdin (most often an unset variable).
    PasswordEmpty,
    /// What was written does not decode back to what was given (a bug).
    RoundTrip,
    /// The Docker config could not be read.
    ConfigRead(String, trust::BoundedReadError),
    /// The Docker config is not one `import` reads.
    Config(String, dockerconfig::DockerConfigError),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::StdinRead(e) => write!(f, "cannot read stdin: {e}"),
            Self::StdinTerminal => f.write_str(
                "stdin is a terminal, where a password would be echoed; pipe it: printf '%s\\n' \"$PASSWORD\" | generic-credential-provider put ...",
            ),
            Self::StdinEmpty => f.write_str("nothing on stdin; pipe the password (one line) or, with --json, the credential object"),
            Self::StdinTooLarge => write!(f, "stdin holds more than {MAX_CREDENTIAL_FILE_BYTES} bytes"),
            Self::PasswordNotUtf8 => f.write_str("the password on stdin is not UTF-8"),
            Self::PasswordNotOneLine => f.write_str(
                "the password on stdin must be one line (use --json for a credential object)",
            ),
            Self::BadJson(problem) => write!(
                f,
                "{}",
                credfile::ContentError {
                    path: "the credential object on stdin".to_string(),
                    problem: problem.clone(),
                }
            ),
            Self::NameTooLong => f.write_str("the target is too long to be a file name"),
            Self::FileTooLarge(size) => write!(
                f,
                "the credential file would be {size} bytes, more than the {MAX_CREDENTIAL_FILE_BYTES}-byte limit the plugin reads; nothing was written"
            ),
            Self::PasswordEmpty => f.write_str(
                "the password on stdin is empty (an unset variable?); use --json for a credential whose password is empty",
            ),
            Self::RoundTrip => f.write_str(
                "internal error: the file written does not decode to the credential given; nothing was installed",
            ),
            Self::ConfigRead(path, e) => write!(f, "cannot read {}: {e}", Escaped(path)),
            Self::Config(path, e) => write!(f, "{} {e}", Escaped(path)),
        }
    }
}

/// What a target is written as: the directories below the scope and the
/// file name, in the layout lookup reads.
fn placement(target: &Target) -> Result<(alloc::vec::Vec<String>, String), WriteError> {
    let mut dirs = alloc::vec::Vec::new();
    let stem = match target.path() {
        None => target.as_str().to_string(),
        Some(path) => {
            // `host/p1/.../pk`: `host/p1/.../` directories, `pk.json`.
            let host = target.as_str().split('/').next().unwrap_or_default();
            dirs.push(host.to_string());
            let mut components = path.split('/');
            let last = components.next_back().unwrap_or_default();
            dirs.extend(components.map(ToString::to_string));
            last.to_string()
        }
    };
    let name = layout::file_name(&stem).ok_or(WriteError::NameTooLong)?;
    Ok((dirs, name))
}

/// The directory of `scope` under `root`, created 0700 where missing.
fn scope_dir(root: &TrustedDir, scope: &WriteScope) -> Result<Option<TrustedDir>, Error> {
    let Some(ns) = &scope.namespace else {
        return Ok(None);
    };
    let dir = root
        .open_or_create_subdir(NAMESPACES_DIR)?
        .open_or_create_subdir(ns.as_str())?;
    Ok(Some(match &scope.service_account {
        None => dir,
        Some(sa) => dir
            .open_or_create_subdir(SERVICE_ACCOUNTS_DIR)?
            .open_or_create_subdir(sa.as_str())?,
    }))
}

/// Writes one credential file atomically and returns its path. What is
/// written is decoded back with the plugin's decoder before the rename, so
/// no file the plugin would refuse is ever installed.
fn install(
    root: &TrustedDir,
    scope: &WriteScope,
    target: &Target,
    username: &[u8],
    password: &[u8],
    duration: Option<Duration>,
) -> Result<String, Error> {
    let (dirs, name) = placement(target).map_err(Error::Write)?;
    let scoped = scope_dir(root, scope)?;
    let mut dir = None;
    for component in &dirs {
        let parent = dir.as_ref().or(scoped.as_ref()).unwrap_or(root);
        dir = Some(parent.open_or_create_subdir(component)?);
    }
    let dir = dir.as_ref().or(scoped.as_ref()).unwrap_or(root);
    let duration_text = duration.map(|d| d.to_string());
    let contents = response::credential_file(username, password, duration_text.as_deref())
        .ok_or(Error::Write(WriteError::RoundTrip))?;
    if contents.len() > MAX_CREDENTIAL_FILE_BYTES {
        return Err(Error::Write(WriteError::FileTooLarge(contents.len())));
    }
    let back =
        credfile::decode(contents.as_bytes()).map_err(|_| Error::Write(WriteError::RoundTrip))?;
    if back.username.as_bytes() != username
        || back.password.as_bytes() != password
        || back.duration != duration
    {
        return Err(Error::Write(WriteError::RoundTrip));
    }
    let mut staged = dir.stage(&name)?;
    staged.write(contents.as_bytes())?;
    staged.commit()?;
    Ok(dir.child_path(&name))
}

/// Reads all of stdin, bounded, into a `Secret`.
fn read_stdin_secret() -> Result<Secret, WriteError> {
    if sys::stdin_is_terminal() {
        return Err(WriteError::StdinTerminal);
    }
    // One spare byte tells "exactly the limit" from "more".
    let mut buf = Secret::with_capacity(MAX_CREDENTIAL_FILE_BYTES + 1);
    while buf.read_stdin().map_err(WriteError::StdinRead)? > 0 {}
    if buf.len() > MAX_CREDENTIAL_FILE_BYTES {
        return Err(WriteError::StdinTooLarge);
    }
    if buf.is_empty() {
        return Err(WriteError::StdinEmpty);
    }
    Ok(buf)
}

/// The password: stdin's one line, its newline (`\n` or `\r\n`) dropped.
fn one_line(input: &[u8]) -> Result<&[u8], WriteError> {
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.contains(&b'\n') {
        return Err(WriteError::PasswordNotOneLine);
    }
    core::str::from_utf8(line).map_err(|_| WriteError::PasswordNotUtf8)?;
    if line.is_empty() {
        return Err(WriteError::PasswordEmpty);
    }
    Ok(line)
}

/// `put`: writes one credential file; prints where, and what it answers.
pub(crate) fn put(options: &PutOptions) -> Result<(), Error> {
    let input = read_stdin_secret().map_err(Error::Write)?;
    let root = TrustedDir::open_root(&options.credroot)?;
    let path = match &options.secret {
        PutSecret::Password { username, duration } => {
            let password = one_line(input.as_bytes()).map_err(Error::Write)?;
            install(
                &root,
                &options.scope,
                &options.target,
                username.as_bytes(),
                password,
                *duration,
            )?
        }
        PutSecret::Json => {
            let credential = credfile::decode(input.as_bytes())
                .map_err(|e| Error::Write(WriteError::BadJson(e)))?;
            install(
                &root,
                &options.scope,
                &options.target,
                credential.username.as_bytes(),
                credential.password.as_bytes(),
                credential.duration,
            )?
        }
    };
    crate::print_stdout(&format!(
        "wrote {} (answers {} for {})\n",
        Escaped(&path),
        options.target.as_str(),
        options.scope
    ));
    Ok(())
}

/// `import`: one file per `auths` entry of a Docker `config.json`, through
/// the same atomic write as `put`; one report line per entry, never a
/// secret. Exit 1 if anything was not imported.
pub(crate) fn import(options: &ImportOptions) -> Result<u8, Error> {
    let path = &options.docker_config;
    let bytes = trust::read_bounded(path, dockerconfig::MAX_CONFIG_BYTES)
        .map_err(|e| Error::Write(WriteError::ConfigRead(path.clone(), e)))?;
    let config = dockerconfig::decode(bytes.as_bytes())
        .map_err(|e| Error::Write(WriteError::Config(path.clone(), e)))?;
    let root = TrustedDir::open_root(&options.credroot)?;
    let mut report = String::new();
    let (mut imported, mut skipped) = (0usize, 0usize);
    let verb = if options.dry_run {
        "would write"
    } else {
        "wrote"
    };
    for entry in &config.entries {
        let key = Escaped(&truncated(&entry.key)).to_string();
        match (&entry.target, &entry.credential) {
            (Ok(target), Some((username, password))) => {
                if options.dry_run {
                    let (dirs, name) = placement(target).map_err(Error::Write)?;
                    let mut relative = String::new();
                    if let Some(ns) = &options.scope.namespace {
                        relative.push_str(&format!("{NAMESPACES_DIR}/{}/", ns.as_str()));
                        if let Some(sa) = &options.scope.service_account {
                            relative.push_str(&format!("{SERVICE_ACCOUNTS_DIR}/{}/", sa.as_str()));
                        }
                    }
                    for dir in &dirs {
                        relative.push_str(dir);
                        relative.push('/');
                    }
                    relative.push_str(&name);
                    report.push_str(&format!(
                        "ok    \"{key}\": {verb} {} (answers {} for {})\n",
                        Escaped(&root.child_path(&relative)),
                        target.as_str(),
                        options.scope
                    ));
                } else {
                    match install(
                        &root,
                        &options.scope,
                        target,
                        username.as_bytes(),
                        password.as_bytes(),
                        None,
                    ) {
                        Ok(written) => report.push_str(&format!(
                            "ok    \"{key}\": {verb} {} (answers {} for {})\n",
                            Escaped(&written),
                            target.as_str(),
                            options.scope
                        )),
                        Err(e) => {
                            skipped += 1;
                            report.push_str(&format!("FAIL  \"{key}\": {e}\n"));
                            continue;
                        }
                    }
                }
                imported += 1;
            }
            (Err(reason @ SkipReason::Duplicate { .. }), _) => {
                report.push_str(&format!("note  \"{key}\": {reason}\n"));
            }
            (Err(reason), _) => {
                skipped += 1;
                report.push_str(&format!("FAIL  \"{key}\": not imported: {reason}\n"));
            }
            (Ok(_), None) => {
                skipped += 1;
                report.push_str(&format!("FAIL  \"{key}\": not imported: no credential\n"));
            }
        }
    }
    if config.creds_store {
        skipped += 1;
        report.push_str(
            "FAIL  credsStore: not imported: its secrets are in a credential store, not in this file; run docker login with a file store, or put each registry\n",
        );
    }
    for helper in &config.cred_helpers {
        skipped += 1;
        report.push_str(&format!(
            "FAIL  credHelpers \"{}\": not imported: its secret is in a credential helper, not in this file; put it instead\n",
            Escaped(&truncated(helper))
        ));
    }
    report.push_str(&format!(
        "summary: {imported} imported, {skipped} not imported{}\n",
        if options.dry_run {
            " (dry run: nothing written)"
        } else {
            ""
        }
    ));
    crate::print_stdout(&report);
    Ok(u8::from(skipped > 0))
}

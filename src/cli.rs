//! The command line. Flags come from the provider's `args` in the kubelet's
//! `CredentialProviderConfig`; the environment is never read for
//! configuration (the kubelet hands the plugin its whole environment).

use crate::PROGRAM;
use crate::dockerconfig::{Target, TargetError};
use crate::duration::Duration;
use crate::error::{Error, Escaped, truncated};
use crate::syslog::{self, Facility};
use crate::token::{Namespace, ServiceAccountName};
use crate::trust::CredRoot;
use crate::write::{ImportOptions, PutOptions, PutSecret, WriteScope};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// The help text (`--help`).
pub(crate) const HELP: &str = "\
generic-credential-provider: a kubelet image credential provider that answers from
per-registry JSON files, each checked for owner, mode and type before it is read.

Usage:
  generic-credential-provider [--credroot DIR] [--log-socket PATH] [--log-facility NAME]
                              [--service-account-audience AUD]
      Plugin mode: read one CredentialProviderRequest on stdin, print one
      CredentialProviderResponse on stdout.
  generic-credential-provider check [--credroot DIR] [--kubelet-config FILE|DIR] [--quiet]
                              [--namespace NS [--service-account SA]] [IMAGE ...]
      Audit the credential root, or with --kubelet-config the kubelet's config and
      each root its providers' args name; explain which file answers each IMAGE
      (for a pod of NS/SA); never prints a secret. --quiet: only FAIL lines and the
      summary. Exits 1 if anything is unusable.
  generic-credential-provider put [--credroot DIR] [--namespace NS [--service-account SA]]
                              [--duration D] --username NAME TARGET  < password
  generic-credential-provider put [--credroot DIR] [--namespace NS [--service-account SA]]
                              --json TARGET  < credential.json
      Write one credential file atomically (a 0600 temporary file, synced, then
      renamed over the name), so pulls never see a torn or missing file. The
      password is one line on stdin, never an argument. TARGET: registry.example.org,
      registry.example.org:5000, '*.example.org' or registry.example.org/team.
  generic-credential-provider import [--credroot DIR] [--namespace NS [--service-account SA]]
                              --docker-config FILE [--dry-run]
      Write one file per auths entry of a Docker config.json (or a decoded
      .dockerconfigjson) through put; exits 1 if any entry was not imported.
  generic-credential-provider help | --help | --version

Options:
  --credroot DIR         credential root, an absolute path (default /etc/kubernetes/registries)
  --log-socket PATH      syslog socket (default /dev/log)
  --log-facility NAME    authpriv (default), auth, user, daemon, local0 .. local7
  --service-account-audience AUD
                         a request's service-account token must carry this audience
  --kubelet-config FILE|DIR
                         check: the kubelet's CredentialProviderConfig (JSON or YAML),
                         or a directory of them (*.json, *.yaml, *.yml, as kubelet 1.34+)

Lookup, for an image host[:port]/path (the host lowercased, the port kept), in
DIR/namespaces/NS/serviceaccounts/SA/, then DIR/namespaces/NS/ (when the request
carries the pod's service-account token), then DIR/; in each:
  host[:port]/p1/.../pk.json   the longest leading part of the path that has a file
  host[:port].json             the registry
  *.parent[:port].json         one extra DNS label; never a parent domain or another port
  mirrors/host[:port].json     {\"mirror\": \"M\", \"then\": \"upstream|anonymous|nothing\"}: pulls go
                               through registry M; its credentials are answered first

Each directory from / down to a file must be owned by root (or you), and not writable
by group or others; a file must be a regular 0600/0400 file with one link, at most 64 KiB;
no symbolic link is followed. Exit codes: 0 answered, 1 refused or failed, 2 usage.
";

/// Plugin-mode options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PluginOptions {
    /// `--credroot`.
    pub(crate) credroot: CredRoot,
    /// `--log-socket`.
    pub(crate) log_socket: String,
    /// `--log-facility`.
    pub(crate) log_facility: Facility,
    /// `--service-account-audience`: the audience a token must carry.
    pub(crate) audience: Option<String>,
}

/// `check` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckOptions {
    /// `--credroot`, if given.
    pub(crate) credroot: Option<CredRoot>,
    /// `--kubelet-config`.
    pub(crate) kubelet_config: Option<String>,
    /// Images to explain.
    pub(crate) images: Vec<String>,
    /// `--namespace` and `--service-account` (default `default`, as for a
    /// pod that names none): explain images as that pod is answered.
    pub(crate) identity: Option<(Namespace, ServiceAccountName)>,
    /// `--quiet`: print only FAIL lines and the summary.
    pub(crate) quiet: bool,
}

impl CheckOptions {
    /// The root to audit: the one given, else the default.
    pub(crate) fn root(&self) -> CredRoot {
        self.credroot.clone().unwrap_or_else(default_root)
    }
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// Answer one request.
    Plugin(PluginOptions),
    /// Audit.
    Check(CheckOptions),
    /// Write one credential file.
    Put(PutOptions),
    /// Write the credential files of a Docker config.
    Import(ImportOptions),
    /// `--help` or `help`.
    Help,
    /// `--version`.
    Version,
}

fn default_root() -> CredRoot {
    // The default is a valid root by construction; the fallback is never used.
    CredRoot::parse(CredRoot::DEFAULT)
        .unwrap_or_else(|| CredRoot::parse("/").unwrap_or_else(default_root))
}

/// The `--version` line: version, the commit the release script built (or
/// `unknown`), and the target.
pub(crate) fn version_line() -> String {
    format!(
        "{PROGRAM} {} ({}, {})\n",
        env!("CARGO_PKG_VERSION"),
        option_env!("GCP_COMMIT").unwrap_or("unknown"),
        TARGET
    )
}

/// The target triple this binary was built for.
const TARGET: &str = if cfg!(all(target_arch = "x86_64", target_env = "musl")) {
    "x86_64-unknown-linux-musl"
} else if cfg!(all(target_arch = "aarch64", target_env = "musl")) {
    "aarch64-unknown-linux-musl"
} else if cfg!(target_arch = "x86_64") {
    "x86_64-unknown-linux-gnu"
} else if cfg!(target_arch = "aarch64") {
    "aarch64-unknown-linux-gnu"
} else {
    "unknown"
};

fn usage(msg: impl fmt::Display) -> Error {
    Error::Usage(format!("{msg}; see --help"))
}

/// An argument quoted in a message: escaped and cut short.
fn quoted(arg: &str) -> Escaped<'_> {
    Escaped(arg)
}

/// One item of a command line.
enum Item<'a> {
    /// `--name` or `--name=value`.
    Flag {
        name: &'a str,
        inline: Option<&'a str>,
    },
    /// Anything else, or anything after `--`.
    Positional(&'a str),
    /// `-h` / `--help`.
    Help,
    /// `-V` / `--version`.
    Version,
}

/// Walks one command's arguments; each command matches the flags it takes.
struct Parser<'a> {
    args: core::slice::Iter<'a, &'a str>,
    flags_done: bool,
}

impl<'a> Parser<'a> {
    fn new(args: &'a [&'a str]) -> Self {
        Self {
            args: args.iter(),
            flags_done: false,
        }
    }

    fn next(&mut self) -> Option<Item<'a>> {
        loop {
            let arg: &'a str = self.args.next()?;
            if self.flags_done || !arg.starts_with('-') {
                return Some(Item::Positional(arg));
            }
            return Some(match arg {
                "--" => {
                    self.flags_done = true;
                    continue;
                }
                "-h" | "--help" => Item::Help,
                "-V" | "--version" => Item::Version,
                _ => match arg.split_once('=') {
                    Some((name, value)) => Item::Flag {
                        name,
                        inline: Some(value),
                    },
                    None => Item::Flag {
                        name: arg,
                        inline: None,
                    },
                },
            });
        }
    }

    /// The value of flag `name`: inline, else the next argument; never empty.
    fn value(&mut self, name: &str, inline: Option<&'a str>) -> Result<&'a str, Error> {
        let Some(value) = inline.or_else(|| self.args.next().copied()) else {
            return Err(usage(format_args!("{name} needs a value")));
        };
        if value.is_empty() {
            return Err(usage(format_args!("{name} needs a non-empty value")));
        }
        Ok(value)
    }
}

/// Stores a flag's value, refusing a second one.
fn set<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), Error> {
    if slot.replace(value).is_some() {
        return Err(usage(format_args!("{name} is given more than once")));
    }
    Ok(())
}

fn unexpected(arg: &str) -> Error {
    usage(format_args!(
        "unexpected argument \"{}\"",
        quoted(&truncated(arg))
    ))
}

fn unknown(name: &str) -> Error {
    usage(format_args!(
        "unknown option \"{}\"",
        quoted(&truncated(name))
    ))
}

fn credroot(value: &str) -> Result<CredRoot, Error> {
    CredRoot::parse(value).ok_or_else(|| {
        usage(format_args!(
            "--credroot \"{}\" must be an absolute path without . or .. components",
            quoted(&truncated(value))
        ))
    })
}

/// Parses the arguments after the program name (as bytes, as the C runtime
/// passes them): the subcommand first, then that command's flags.
pub(crate) fn parse<'a>(args: impl Iterator<Item = &'a [u8]>) -> Result<Command, Error> {
    let args = args
        .map(|a| core::str::from_utf8(a).map_err(|_| usage("an argument is not valid UTF-8")))
        .collect::<Result<Vec<&str>, Error>>()?;
    match args.split_first() {
        Some((&"check", rest)) => parse_check(rest),
        Some((&"put", rest)) => parse_put(rest),
        Some((&"import", rest)) => parse_import(rest),
        Some((&"help", _)) => Ok(Command::Help),
        _ => parse_plugin(&args),
    }
}

fn parse_plugin(args: &[&str]) -> Result<Command, Error> {
    let mut p = Parser::new(args);
    let (mut root, mut log_socket, mut log_facility, mut audience) = (None, None, None, None);
    while let Some(item) = p.next() {
        match item {
            Item::Help => return Ok(Command::Help),
            Item::Version => return Ok(Command::Version),
            Item::Positional(arg) => return Err(unexpected(arg)),
            Item::Flag { name, inline } => match name {
                "--credroot" => set(&mut root, name, credroot(p.value(name, inline)?)?)?,
                "--log-socket" => set(&mut log_socket, name, p.value(name, inline)?)?,
                "--service-account-audience" => {
                    set(&mut audience, name, p.value(name, inline)?.to_string())?;
                }
                "--log-facility" => {
                    let value = p.value(name, inline)?;
                    let facility = Facility::from_name(value).ok_or_else(|| {
                        usage(format_args!(
                            "unknown --log-facility \"{}\" (use authpriv, auth, user, daemon or local0..local7)",
                            quoted(&truncated(value))
                        ))
                    })?;
                    set(&mut log_facility, name, facility)?;
                }
                _ => return Err(unknown(name)),
            },
        }
    }
    Ok(Command::Plugin(PluginOptions {
        credroot: root.unwrap_or_else(default_root),
        log_socket: log_socket.unwrap_or(syslog::DEFAULT_SOCKET).to_string(),
        log_facility: log_facility.unwrap_or(Facility::AUTHPRIV),
        audience,
    }))
}

fn parse_check(args: &[&str]) -> Result<Command, Error> {
    let mut p = Parser::new(args);
    let (mut root, mut kubelet_config, mut namespace, mut service_account) =
        (None, None, None, None);
    let mut images = Vec::new();
    let mut quiet = false;
    while let Some(item) = p.next() {
        match item {
            Item::Help => return Ok(Command::Help),
            Item::Version => return Ok(Command::Version),
            Item::Positional(image) => images.push(image.to_string()),
            Item::Flag {
                name: "--quiet",
                inline: None,
            } => quiet = true,
            Item::Flag { name, inline } => match name {
                "--credroot" => set(&mut root, name, credroot(p.value(name, inline)?)?)?,
                "--kubelet-config" => {
                    set(
                        &mut kubelet_config,
                        name,
                        p.value(name, inline)?.to_string(),
                    )?;
                }
                "--namespace" => set(&mut namespace, name, p.value(name, inline)?)?,
                "--service-account" => set(&mut service_account, name, p.value(name, inline)?)?,
                _ => return Err(unknown(name)),
            },
        }
    }
    let scope = scope(namespace, service_account)?;
    let identity = match scope.namespace {
        None => None,
        Some(ns) => Some((
            ns,
            match scope.service_account {
                Some(sa) => sa,
                None => ServiceAccountName::parse(DEFAULT_SERVICE_ACCOUNT)
                    .ok_or_else(|| usage("internal: the default service account name"))?,
            },
        )),
    };
    Ok(Command::Check(CheckOptions {
        credroot: root,
        kubelet_config,
        images,
        identity,
        quiet,
    }))
}

/// The service account of a pod that names none.
const DEFAULT_SERVICE_ACCOUNT: &str = "default";

/// Why a secret is never taken from the command line.
const NO_SECRET_IN_ARGV: &str = "is refused: every user can read a process's arguments in /proc/<pid>/cmdline; pipe the password on stdin";

/// `--namespace` and `--service-account`, validated as Kubernetes names.
fn scope(namespace: Option<&str>, service_account: Option<&str>) -> Result<WriteScope, Error> {
    let namespace = namespace
        .map(|ns| {
            Namespace::parse(ns).ok_or_else(|| {
                usage(format_args!(
                    "--namespace \"{}\" is not a Kubernetes namespace name (a DNS-1123 label: lowercase letters, digits and -, at most 63)",
                    quoted(&truncated(ns))
                ))
            })
        })
        .transpose()?;
    let service_account = service_account
        .map(|sa| {
            ServiceAccountName::parse(sa).ok_or_else(|| {
                usage(format_args!(
                    "--service-account \"{}\" is not a Kubernetes service account name (a DNS-1123 subdomain)",
                    quoted(&truncated(sa))
                ))
            })
        })
        .transpose()?;
    if service_account.is_some() && namespace.is_none() {
        return Err(usage("--service-account needs --namespace"));
    }
    Ok(WriteScope {
        namespace,
        service_account,
    })
}

fn target(arg: &str) -> Result<Target, Error> {
    Target::parse(arg).map_err(|e| match e {
        TargetError::NotCanonical(canonical) => usage(format_args!(
            "TARGET \"{}\" is written differently from how lookup names it; use \"{}\"",
            quoted(&truncated(arg)),
            canonical.as_str()
        )),
        other => usage(format_args!(
            "TARGET \"{}\": the key {other}",
            quoted(&truncated(arg))
        )),
    })
}

fn parse_put(args: &[&str]) -> Result<Command, Error> {
    let mut p = Parser::new(args);
    let (mut root, mut namespace, mut service_account) = (None, None, None);
    let (mut username, mut duration, mut json) = (None, None, false);
    let mut targets = Vec::new();
    while let Some(item) = p.next() {
        match item {
            Item::Help => return Ok(Command::Help),
            Item::Version => return Ok(Command::Version),
            Item::Positional(arg) => targets.push(arg),
            Item::Flag { name, inline } => match name {
                "--credroot" => set(&mut root, name, credroot(p.value(name, inline)?)?)?,
                "--namespace" => set(&mut namespace, name, p.value(name, inline)?)?,
                "--service-account" => set(&mut service_account, name, p.value(name, inline)?)?,
                "--username" => set(&mut username, name, p.value(name, inline)?.to_string())?,
                "--duration" => {
                    let value = p.value(name, inline)?;
                    let parsed = Duration::parse(value).map_err(|e| {
                        usage(format_args!(
                            "--duration \"{}\" {e}",
                            quoted(&truncated(value))
                        ))
                    })?;
                    set(&mut duration, name, parsed)?;
                }
                "--json" if inline.is_none() => json = true,
                "--password" | "--pass" | "-p" => {
                    return Err(Error::Usage(format!("{name} {NO_SECRET_IN_ARGV}")));
                }
                _ => return Err(unknown(name)),
            },
        }
    }
    let [target_arg] = targets.as_slice() else {
        return Err(usage(
            "put takes exactly one TARGET (registry.example.org, registry.example.org:5000, *.example.org or registry.example.org/team)",
        ));
    };
    let secret = match (json, username) {
        (true, None) if duration.is_none() => PutSecret::Json,
        (true, _) => {
            return Err(usage(
                "--json takes username, password and duration from stdin; drop --username and --duration",
            ));
        }
        (false, Some(username)) => PutSecret::Password { username, duration },
        (false, None) => {
            return Err(usage(
                "put needs --username NAME (the password comes on stdin) or --json",
            ));
        }
    };
    Ok(Command::Put(PutOptions {
        credroot: root.unwrap_or_else(default_root),
        scope: scope(namespace, service_account)?,
        secret,
        target: target(target_arg)?,
    }))
}

fn parse_import(args: &[&str]) -> Result<Command, Error> {
    let mut p = Parser::new(args);
    let (mut root, mut namespace, mut service_account, mut config) = (None, None, None, None);
    let mut dry_run = false;
    while let Some(item) = p.next() {
        match item {
            Item::Help => return Ok(Command::Help),
            Item::Version => return Ok(Command::Version),
            Item::Positional(arg) => return Err(unexpected(arg)),
            Item::Flag { name, inline } => match name {
                "--credroot" => set(&mut root, name, credroot(p.value(name, inline)?)?)?,
                "--namespace" => set(&mut namespace, name, p.value(name, inline)?)?,
                "--service-account" => set(&mut service_account, name, p.value(name, inline)?)?,
                "--docker-config" => set(&mut config, name, p.value(name, inline)?.to_string())?,
                "--dry-run" if inline.is_none() => dry_run = true,
                _ => return Err(unknown(name)),
            },
        }
    }
    let Some(docker_config) = config else {
        return Err(usage(
            "import needs --docker-config FILE (a docker config.json or a decoded .dockerconfigjson)",
        ));
    };
    Ok(Command::Import(ImportOptions {
        credroot: root.unwrap_or_else(default_root),
        scope: scope(namespace, service_account)?,
        docker_config,
        dry_run,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, Error> {
        parse(args.iter().map(|a| a.as_bytes()))
    }

    #[test]
    fn defaults_and_both_flag_forms() {
        let Command::Plugin(p) = parse_strs(&[]).unwrap() else {
            panic!()
        };
        assert_eq!(p.credroot.as_str(), CredRoot::DEFAULT);
        assert_eq!(p.log_socket, "/dev/log");
        assert_eq!(p.log_facility, Facility::AUTHPRIV);
        let Command::Plugin(p) = parse_strs(&[
            "--credroot=/x",
            "--log-socket",
            "/s",
            "--log-facility",
            "local3",
        ])
        .unwrap() else {
            panic!()
        };
        assert_eq!((p.credroot.as_str(), p.log_socket.as_str()), ("/x", "/s"));
        assert_eq!(p.log_facility, Facility::from_name("local3").unwrap());
        let Command::Check(c) =
            parse_strs(&["check", "--credroot", "/r", "a/b", "--", "-weird"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.images, ["a/b", "-weird"]);
        assert_eq!(parse_strs(&["--help"]).unwrap(), Command::Help);
        assert_eq!(parse_strs(&["--version"]).unwrap(), Command::Version);
        assert_eq!(parse_strs(&["help"]).unwrap(), Command::Help);
        assert_eq!(c.credroot.unwrap().as_str(), "/r");
    }

    #[test]
    fn usage_errors() {
        for args in [
            &["--bogus"][..],
            &["--credroot"],
            &["--credroot", "relative"],
            &["--credroot", "/a", "--credroot", "/b"],
            &["--log-facility", "kern"],
            &["stray"],
            &["check", "--log-socket", "/x"],
            &["--kubelet-config", "/x"],
            &["--credroot="],
            &["--credroot", "/etc/../tmp"],
            &["check", "--credroot", "/a/./b"],
            &["check", "--bogus"],
        ] {
            let e = parse_strs(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
    }
}

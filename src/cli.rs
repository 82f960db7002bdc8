//! The command line. Flags come from the provider's `args` in the kubelet's
//! `CredentialProviderConfig`; the environment is never read for
//! configuration (the kubelet hands the plugin its whole environment).

use crate::error::{Error, Escaped};
use crate::syslog::{self, Facility};
use std::ffi::OsString;

/// The default credential root.
pub const DEFAULT_CREDROOT: &str = "/etc/kubernetes/registries";

/// The help text (`--help`).
pub const HELP: &str = "\
generic-credential-provider: a kubelet image credential provider that answers from
per-registry JSON files, each checked for owner, mode and type before it is read.

Usage:
  generic-credential-provider [--credroot DIR] [--log-socket PATH] [--log-facility NAME]
      Plugin mode: read one CredentialProviderRequest on stdin, print one
      CredentialProviderResponse on stdout.
  generic-credential-provider check [--credroot DIR] [--kubelet-config FILE] [IMAGE ...]
      Audit the credential root (and a kubelet CredentialProviderConfig in JSON),
      explain which file answers each IMAGE; never prints a secret. Exits 1 if
      anything is unusable.
  generic-credential-provider --help | --version

Options:
  --credroot DIR         credential root, an absolute path (default /etc/kubernetes/registries)
  --log-socket PATH      syslog socket (default /dev/log)
  --log-facility NAME    authpriv (default), auth, user, daemon, local0 .. local7
  --kubelet-config FILE  check: the kubelet's CredentialProviderConfig, JSON form

Lookup, for an image host[:port]/path (the host lowercased, the port kept):
  DIR/host[:port]/p1/.../pk.json   the longest leading part of the path that has a file
  DIR/host[:port].json             the registry
  DIR/*.parent[:port].json         one extra DNS label; never a parent domain or another port

Each directory from / down to a file must be owned by root (or you), and not writable
by group or others; a file must be a regular 0600/0400 file with one link, at most 64 KiB;
no symbolic link is followed. Exit codes: 0 answered, 1 refused or failed, 2 usage.
";

/// Plugin-mode options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginOptions {
    /// `--credroot`.
    pub credroot: String,
    /// `--log-socket`.
    pub log_socket: String,
    /// `--log-facility`.
    pub log_facility: Facility,
}

/// `check` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckOptions {
    /// `--credroot`.
    pub credroot: String,
    /// `--kubelet-config`.
    pub kubelet_config: Option<String>,
    /// Images to explain.
    pub images: Vec<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Answer one request.
    Plugin(PluginOptions),
    /// Audit.
    Check(CheckOptions),
    /// `--help`.
    Help,
    /// `--version`.
    Version,
}

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(format!("{}; see --help", msg.into()))
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, Error> {
    let mut args = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|_| usage("an argument is not valid UTF-8"))
        })
        .collect::<Result<Vec<String>, Error>>()?
        .into_iter();
    let mut check = false;
    let mut credroot = None;
    let mut log_socket = None;
    let mut log_facility = None;
    let mut kubelet_config = None;
    let mut images = Vec::new();
    let mut first = true;
    let mut flags_done = false;
    while let Some(arg) = args.next() {
        let is_first = std::mem::take(&mut first);
        if flags_done || !arg.starts_with('-') {
            if is_first && arg == "check" {
                check = true;
            } else if check {
                images.push(arg);
            } else {
                return Err(usage(format!("unexpected argument \"{}\"", Escaped(&arg))));
            }
            continue;
        }
        if arg == "--" {
            flags_done = true;
            continue;
        }
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            _ => {}
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            "--credroot" => &mut credroot,
            "--log-socket" if !check => &mut log_socket,
            "--log-facility" if !check => &mut log_facility,
            "--kubelet-config" if check => &mut kubelet_config,
            _ => return Err(usage(format!("unknown option \"{}\"", Escaped(&name)))),
        };
        let Some(value) = inline.or_else(|| args.next()) else {
            return Err(usage(format!("{name} needs a value")));
        };
        if value.is_empty() {
            return Err(usage(format!("{name} needs a non-empty value")));
        }
        if slot.replace(value).is_some() {
            return Err(usage(format!("{name} is given more than once")));
        }
    }
    let credroot = credroot.unwrap_or_else(|| DEFAULT_CREDROOT.to_owned());
    if !credroot.starts_with('/') {
        return Err(usage(format!(
            "--credroot \"{}\" must be an absolute path",
            Escaped(&credroot)
        )));
    }
    if check {
        return Ok(Command::Check(CheckOptions {
            credroot,
            kubelet_config,
            images,
        }));
    }
    let log_facility = match log_facility {
        None => Facility::AUTHPRIV,
        Some(name) => Facility::from_name(&name).ok_or_else(|| {
            usage(format!(
                "unknown --log-facility \"{}\" (use authpriv, auth, user, daemon or local0..local7)",
                Escaped(&name)
            ))
        })?,
    };
    Ok(Command::Plugin(PluginOptions {
        credroot,
        log_socket: log_socket.unwrap_or_else(|| syslog::DEFAULT_SOCKET.to_owned()),
        log_facility,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, Error> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn defaults_and_both_flag_forms() {
        let Command::Plugin(p) = parse_strs(&[]).unwrap() else {
            panic!()
        };
        assert_eq!(p.credroot, DEFAULT_CREDROOT);
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
        let Command::Check(c) =
            parse_strs(&["check", "--credroot", "/r", "a/b", "--", "-weird"]).unwrap()
        else {
            panic!()
        };
        assert_eq!(c.images, ["a/b", "-weird"]);
        assert_eq!(parse_strs(&["--help"]).unwrap(), Command::Help);
        assert_eq!(parse_strs(&["--version"]).unwrap(), Command::Version);
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
        ] {
            let e = parse_strs(args).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{args:?}");
        }
    }
}

//! The one error type. Every message is one line that names what was refused
//! and why, and says how to fix it where there is a fix. No variant can hold a
//! secret: none takes a credential, the request buffer or file contents, and
//! text that came from the request or a file is escaped and cut short.

use crate::duration::DurationError;
use crate::reference::ReferenceError;
use std::fmt;
use std::io;

/// Longest excerpt of untrusted text quoted in a message, in characters.
const MAX_QUOTED_CHARS: usize = 64;

/// Keeps at most [`MAX_QUOTED_CHARS`] characters of untrusted text for a
/// message (it is escaped when displayed).
pub(crate) fn truncated(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((i, _)) => format!("{}...", s.get(..i).unwrap_or_default()),
        None => s.to_owned(),
    }
}

/// Displays untrusted text with everything but printable ASCII escaped, so
/// that it cannot forge a log line or hide behind a control sequence: `\\`,
/// `\n`, `\r`, `\t`, and `\u{XXXX}` for the rest (C0, DEL, C1, bidi
/// overrides, all non-ASCII).
pub struct Escaped<'a>(pub &'a str);

/// Displays text that is already escaped where it came from untrusted input
/// (an [`Escaped`] error message): every character outside printable ASCII
/// is still escaped, but a backslash is left alone so that escapes are not
/// doubled. Used for log lines, as the last guard.
pub struct Printable<'a>(pub &'a str);

/// Writes `s`, passing runs of printable ASCII through in one piece and
/// escaping everything else (a backslash too, when `escape_backslash`).
fn write_escaped(f: &mut fmt::Formatter<'_>, s: &str, escape_backslash: bool) -> fmt::Result {
    let mut rest = s;
    while !rest.is_empty() {
        let plain = rest
            .find(|c: char| !(' '..='~').contains(&c) || (escape_backslash && c == '\\'))
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(plain);
        f.write_str(run)?;
        let mut chars = tail.chars();
        let Some(c) = chars.next() else { break };
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c => write!(f, "\\u{{{:04X}}}", u32::from(c))?,
        }
        rest = chars.as_str();
    }
    Ok(())
}

impl fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, false)
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0, true)
    }
}

/// Whether a refused path is a directory on the way to a file, or the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// The credential root, a directory above it, or a per-registry directory.
    Directory,
    /// A credential file.
    File,
}

/// A broken trust rule, with what was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// A symbolic link where none may be.
    SymbolicLink,
    /// Something other than a directory on the way to the credential root.
    NotDirectory {
        /// What it is instead ("a regular file", "a FIFO", ...).
        kind: &'static str,
    },
    /// Something other than a regular file where a credential file was expected.
    NotRegularFile {
        /// What it is instead.
        kind: &'static str,
    },
    /// Owned by neither root nor the effective user.
    BadOwner {
        /// The owner found.
        uid: u32,
    },
    /// A directory writable by group or others (a sticky bit does not excuse it).
    DirectoryWritable {
        /// The permission bits found.
        mode: u32,
    },
    /// A credential file with any permission bit for group or others.
    FileAccessible {
        /// The permission bits found.
        mode: u32,
    },
    /// A credential file with more than one hard link.
    HardLinked {
        /// The link count found.
        nlink: u64,
    },
    /// A credential file larger than the limit.
    TooLarge {
        /// The size found.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// Fewer bytes could be read than `fstat` promised.
    ShortRead {
        /// `st_size`.
        expected: u64,
        /// Bytes read.
        got: usize,
    },
    /// More bytes could be read than `fstat` promised.
    Grew {
        /// `st_size`.
        expected: u64,
    },
}

/// What is wrong with the contents of a credential file. Keys are quoted
/// (escaped, cut short); values never are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentProblem {
    /// Not valid UTF-8.
    NotUtf8,
    /// Not valid JSON.
    NotJson,
    /// Valid JSON, but not one object.
    NotObject,
    /// A key other than `username`, `password`, `duration`.
    UnknownKey(String),
    /// A key given twice.
    DuplicateKey(&'static str),
    /// A key whose value is not a string.
    NotAString(&'static str),
    /// A required key that is absent.
    MissingKey(&'static str),
    /// A `duration` that is not a valid, non-negative Go duration.
    BadDuration(DurationError),
}

/// Every way the program can refuse or fail.
#[derive(Debug)]
pub enum Error {
    /// A command-line mistake (exit code 2).
    Usage(String),
    /// Standard input could not be read.
    StdinRead(io::Error),
    /// Standard input held nothing but whitespace.
    RequestEmpty,
    /// Standard input exceeded the request limit.
    RequestTooLarge,
    /// Standard input was not UTF-8.
    RequestNotUtf8,
    /// Standard input was not one JSON object with string fields.
    RequestMalformed,
    /// `kind` was not `CredentialProviderRequest` (the excerpt found).
    RequestKind(String),
    /// `apiVersion` was not one of the three (the excerpt found).
    RequestApiVersion(String),
    /// `image` was absent.
    RequestNoImage,
    /// `image` is not a valid reference.
    InvalidImage {
        /// An excerpt of the image.
        image: String,
        /// Why.
        reason: ReferenceError,
    },
    /// The credential root is not an absolute path without `..`.
    CredrootNotAbsolute(String),
    /// A directory or file broke a trust rule.
    Untrusted {
        /// The path.
        path: String,
        /// Directory or file.
        subject: Subject,
        /// The rule.
        problem: Problem,
    },
    /// A system call on a path failed.
    Io {
        /// The path.
        path: String,
        /// What was being done ("open", "read").
        action: &'static str,
        /// The OS error.
        source: io::Error,
    },
    /// A credential file's contents are unusable.
    Content {
        /// The path.
        path: String,
        /// Why.
        problem: ContentProblem,
    },
    /// The answer would not match the image under the kubelet's own matcher.
    SelfCheck {
        /// The `auth` key.
        key: String,
        /// The image name.
        image: String,
    },
    /// The answer could not be written to stdout.
    StdoutWrite(io::Error),
    /// A broken internal invariant (a bug); nothing was answered.
    Internal(&'static str),
}

impl Error {
    /// The process exit code for this error: 2 for usage, 1 for the rest.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}

fn fmt_problem(
    f: &mut fmt::Formatter<'_>,
    path: &str,
    subject: Subject,
    problem: Problem,
) -> fmt::Result {
    let p = Escaped(path);
    match (problem, subject) {
        (Problem::SymbolicLink, Subject::File) => {
            write!(
                f,
                "{p} is a symbolic link; credential files must be regular files"
            )
        }
        (Problem::SymbolicLink, Subject::Directory) => write!(
            f,
            "{p} is a symbolic link; the credential root and every directory on the way to it must be real directories"
        ),
        (Problem::NotDirectory { kind }, _) => write!(f, "{p} is {kind}, not a directory"),
        (Problem::NotRegularFile { kind }, _) => {
            write!(f, "{p} is {kind}; credential files must be regular files")
        }
        (Problem::BadOwner { uid }, Subject::File) => {
            write!(f, "{p} is owned by uid {uid}, not root; run chown root {p}")
        }
        (Problem::BadOwner { uid }, Subject::Directory) => {
            write!(
                f,
                "directory {p} is owned by uid {uid}, not root; run chown root {p}"
            )
        }
        (Problem::DirectoryWritable { mode }, _) => write!(
            f,
            "directory {p} is writable by group or others (mode {mode:04o}); run chmod go-w {p}"
        ),
        (Problem::FileAccessible { mode }, _) => {
            let what = if mode & crate::trust::GROUP_OR_OTHER_READ != 0 {
                "readable"
            } else {
                "accessible"
            };
            write!(
                f,
                "{p} is {what} by group or others (mode {mode:04o}); run chmod 600 {p}"
            )
        }
        (Problem::HardLinked { nlink }, _) => write!(
            f,
            "{p} has {nlink} hard links; a credential file must have exactly one (replace the link with a copy)"
        ),
        (Problem::TooLarge { size, limit }, _) => write!(
            f,
            "{p} is {size} bytes, more than the {limit}-byte limit for a credential file"
        ),
        (Problem::ShortRead { expected, got }, _) => write!(
            f,
            "{p} changed while it was read (expected {expected} bytes, read {got})"
        ),
        (Problem::Grew { expected }, _) => {
            write!(f, "{p} grew while it was read (more than {expected} bytes)")
        }
    }
}

fn fmt_content(f: &mut fmt::Formatter<'_>, path: &str, problem: &ContentProblem) -> fmt::Result {
    let p = Escaped(path);
    match problem {
        ContentProblem::NotUtf8 => write!(f, "{p} is not valid UTF-8"),
        ContentProblem::NotJson => write!(f, "{p} is not valid JSON"),
        ContentProblem::NotObject => write!(f, "{p} must hold one JSON object"),
        ContentProblem::UnknownKey(key) => write!(
            f,
            "{p} has an unknown key \"{}\"; the keys are username, password and duration",
            Escaped(key)
        ),
        ContentProblem::DuplicateKey(key) => write!(f, "{p} has the key \"{key}\" more than once"),
        ContentProblem::NotAString(key) => {
            write!(f, "{p}: the value of \"{key}\" must be a string")
        }
        ContentProblem::MissingKey(key) => write!(f, "{p} has no key \"{key}\""),
        ContentProblem::BadDuration(reason) => write!(f, "{p}: the value of \"duration\" {reason}"),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(msg) => f.write_str(msg),
            Self::StdinRead(e) => write!(f, "cannot read the request from stdin: {e}"),
            Self::RequestEmpty => f.write_str("the request on stdin is empty"),
            Self::RequestTooLarge => write!(
                f,
                "the request on stdin is larger than {} bytes",
                crate::request::MAX_REQUEST_BYTES
            ),
            Self::RequestNotUtf8 => f.write_str("the request on stdin is not valid UTF-8"),
            Self::RequestMalformed => f.write_str(
                "the request on stdin is not a JSON object whose kind, apiVersion and image are strings",
            ),
            Self::RequestKind(kind) => write!(
                f,
                "the request kind is \"{}\", not CredentialProviderRequest",
                Escaped(kind)
            ),
            Self::RequestApiVersion(v) => write!(
                f,
                "the request apiVersion \"{}\" is not supported; expected credentialprovider.kubelet.k8s.io/v1, /v1beta1 or /v1alpha1",
                Escaped(v)
            ),
            Self::RequestNoImage => f.write_str("the request has no image"),
            Self::InvalidImage { image, reason } => {
                write!(f, "invalid image \"{}\": {reason}", Escaped(image))
            }
            Self::CredrootNotAbsolute(path) => write!(
                f,
                "the credential root \"{}\" must be an absolute path without . or .. components",
                Escaped(path)
            ),
            Self::Untrusted { path, subject, problem } => fmt_problem(f, path, *subject, *problem),
            Self::Io { path, action, source } => {
                write!(f, "cannot {action} {}: {source}", Escaped(path))
            }
            Self::Content { path, problem } => fmt_content(f, path, problem),
            Self::SelfCheck { key, image } => {
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
            Self::StdoutWrite(e) => write!(f, "cannot write the answer to stdout: {e}"),
            Self::Internal(what) => write!(f, "internal error: {what}; nothing was answered"),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_escaped_leaves_only_printable_ascii() {
        let s = Escaped("a\\b\nc\rd\te\u{1b}[31m\u{202e}é\u{0}").to_string();
        assert_eq!(
            s,
            "a\\\\b\\nc\\rd\\te\\u{001B}[31m\\u{202E}\\u{00E9}\\u{0000}"
        );
        assert!(s.bytes().all(|b| (0x20..0x7f).contains(&b)));
    }

    #[test]
    fn miri_printable_escapes_controls_but_not_backslashes() {
        let s = Printable("a\\nb\nc\u{202e}").to_string();
        assert_eq!(s, "a\\nb\\nc\\u{202E}");
    }

    #[test]
    fn miri_truncated_cuts_on_a_char_boundary() {
        let long = "é".repeat(100);
        let t = truncated(&long);
        assert_eq!(t.chars().count(), MAX_QUOTED_CHARS + 3);
        assert!(t.ends_with("..."));
        assert_eq!(truncated("short"), "short");
    }

    #[test]
    fn miri_messages_name_the_rule_and_the_fix() {
        let e = Error::Untrusted {
            path: "/etc/kubernetes/registries/example.org.json".into(),
            subject: Subject::File,
            problem: Problem::FileAccessible { mode: 0o644 },
        };
        assert_eq!(
            e.to_string(),
            "/etc/kubernetes/registries/example.org.json is readable by group or others (mode 0644); run chmod 600 /etc/kubernetes/registries/example.org.json"
        );
    }
}

//! The one error type. Every message is one line that names what was refused
//! and why, and says how to fix it where there is a fix. No variant can hold a
//! secret: none takes a credential, the request buffer or file contents, and
//! text that came from the request or a file is escaped and cut short.

use crate::answer::AnswerError;
use crate::credfile::ContentError;
use crate::errno::Errno;
use crate::mirror::MirrorFileError;
use crate::request::RequestError;
use crate::sys::HardeningFailure;
use crate::token::TokenError;
use crate::trust::TrustError;
use crate::write::WriteError;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

/// Longest excerpt of untrusted text quoted in a message, in characters.
const MAX_QUOTED_CHARS: usize = 64;

/// Keeps at most [`MAX_QUOTED_CHARS`] characters of untrusted text for a
/// message (it is escaped when displayed).
pub(crate) fn truncated(s: &str) -> String {
    match s.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((i, _)) => format!("{}...", s.get(..i).unwrap_or_default()),
        None => s.to_string(),
    }
}

/// Displays untrusted text with everything but printable ASCII escaped, so
/// that it cannot forge a log line or hide behind a control sequence: `\\`, `\"`,
/// `\n`, `\r`, `\t`, and `\u{XXXX}` for the rest (C0, DEL, C1, bidi
/// overrides, all non-ASCII).
pub(crate) struct Escaped<'a>(pub(crate) &'a str);

/// Displays text that is already escaped where it came from untrusted input
/// (an [`Escaped`] error message): every character outside printable ASCII
/// is still escaped, but a backslash is left alone so that escapes are not
/// doubled. Used for log lines, as the last guard.
pub(crate) struct Printable<'a>(pub(crate) &'a str);

/// Writes `s`, passing runs of printable ASCII through in one piece and
/// escaping everything else (a backslash and a double quote too, when
/// `quoted`: the text stands between quotes, and a log field parser must not
/// see it end early).
fn write_escaped(f: &mut fmt::Formatter<'_>, s: &str, quoted: bool) -> fmt::Result {
    let mut rest = s;
    while !rest.is_empty() {
        let plain = rest
            .find(|c: char| !(' '..='~').contains(&c) || (quoted && (c == '\\' || c == '"')))
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(plain);
        f.write_str(run)?;
        let mut chars = tail.chars();
        let Some(c) = chars.next() else { break };
        match c {
            '\\' => f.write_str("\\\\")?,
            '"' => f.write_str("\\\"")?,
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

/// Every way the program can refuse or fail: each module's own error,
/// wrapped. No variant holds a secret.
#[derive(Debug)]
pub(crate) enum Error {
    /// A command-line mistake (exit code 2).
    Usage(String),
    /// The process could not be hardened, so plugin mode reads no credential.
    Hardening(HardeningFailure),
    /// The request was refused.
    Request(RequestError),
    /// The request's service-account token was refused.
    Token(TokenError),
    /// A directory or file broke a trust rule, or a system call on it failed.
    Trust(TrustError),
    /// A credential file's contents are unusable.
    Content(ContentError),
    /// The answer could not be made.
    Answer(AnswerError),
    /// A mirror file is unusable.
    Mirror(MirrorFileError),
    /// `put` or `import` refused or failed.
    Write(WriteError),
    /// The answer could not be written to stdout.
    StdoutWrite(Errno),
}

impl Error {
    /// The process exit code for this error: 2 for usage, 1 for the rest.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        Self::Request(e)
    }
}

impl From<TrustError> for Error {
    fn from(e: TrustError) -> Self {
        Self::Trust(e)
    }
}

impl From<ContentError> for Error {
    fn from(e: ContentError) -> Self {
        Self::Content(e)
    }
}

impl From<AnswerError> for Error {
    fn from(e: AnswerError) -> Self {
        Self::Answer(e)
    }
}

/// A hardening step that did not hold, worded for a warning.
pub(crate) struct HardeningWarning(pub(crate) HardeningFailure);

impl fmt::Display for HardeningWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.error {
            Some(e) => write!(f, "{} failed: {e}", self.0.step),
            None => write!(
                f,
                "{} reported success but did not take effect",
                self.0.step
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(msg) => f.write_str(msg),
            Self::Hardening(failure) => write!(
                f,
                "{}; refusing to read credentials in a process that could dump core or be traced",
                HardeningWarning(*failure)
            ),
            Self::Request(e) => e.fmt(f),
            Self::Token(e) => e.fmt(f),
            Self::Trust(e) => e.fmt(f),
            Self::Content(e) => e.fmt(f),
            Self::Answer(e) => e.fmt(f),
            Self::Mirror(e) => e.fmt(f),
            Self::Write(e) => e.fmt(f),
            Self::StdoutWrite(e) => write!(f, "cannot write the answer to stdout: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_escaped_leaves_only_printable_ascii() {
        let s = Escaped("a\\b\nc\rd\te\u{1b}[31m\u{202e}é\u{0}\"").to_string();
        assert_eq!(
            s,
            "a\\\\b\\nc\\rd\\te\\u{001B}[31m\\u{202E}\\u{00E9}\\u{0000}\\\""
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
}

//! Syslog written straight to the `/dev/log` socket, in the local RFC 3164
//! form glibc and musl send and that rsyslog's `imuxsock` and journald parse:
//! `<PRI>Mmm dd hh:mm:ss generic-credential-provider[PID]: message`.
//!
//! No libc `syslog()`: the tag is a constant (CVE-2023-6246 came from a long
//! `argv[0]`), every byte outside printable ASCII is escaped so a hostile
//! image cannot forge a line, a datagram is at most 1024 bytes, and nothing
//! ever blocks: a missing, refused or full socket drops the line and never
//! changes the answer or the exit code. The log functions take no credential
//! type, so no secret can reach them.

use crate::PROGRAM;
use crate::error::{Error, Escaped, Printable};
use crate::lookup::Identity;
use crate::reference::Reference;
use crate::request::RequestError;
use crate::sys;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt::{self, Write as _};

/// The default socket.
pub(crate) const DEFAULT_SOCKET: &str = "/dev/log";
/// The tag: a compile-time constant, never `argv[0]`.
const TAG: &str = PROGRAM;
/// Largest datagram, header included (musl's buffer; RFC 3164's limit).
pub(crate) const MAX_LINE_BYTES: usize = 1024;
/// What ends a cut line, so a reader knows it was cut.
const TRUNCATION_MARK: &str = "...";

/// A syslog facility (RFC 3164 numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facility(u8);

impl Facility {
    /// `authpriv` (10): credential access is an authentication event, and it
    /// lands in root-only logs on most systems.
    pub(crate) const AUTHPRIV: Self = Self(10);

    /// The facilities `--log-facility` accepts, by name.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        let code = match name {
            "user" => 1,
            "daemon" => 3,
            "auth" => 4,
            "authpriv" => 10,
            _ => {
                let n = name.strip_prefix("local")?;
                let digit = match n.as_bytes() {
                    [d @ b'0'..=b'7'] => d - b'0',
                    _ => return None,
                };
                16 + digit
            }
        };
        Some(Self(code))
    }
}

/// A syslog severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Severity {
    /// 3: a refusal.
    Err = 3,
    /// 5: no credential file for the registry.
    Notice = 5,
    /// 6: credentials returned.
    Info = 6,
}

/// The one seam through which the plugin logs its three events.
pub(crate) trait Log {
    /// Writes one event.
    fn event(&mut self, severity: Severity, message: &str);
}

/// Writes to a syslog socket.
pub(crate) struct Syslog<'a> {
    socket: &'a [u8],
    facility: Facility,
}

impl<'a> Syslog<'a> {
    /// A writer for `socket` and `facility`; nothing is opened until a line is sent.
    pub(crate) fn new(socket: &'a [u8], facility: Facility) -> Self {
        Self { socket, facility }
    }
}

impl Log for Syslog<'_> {
    fn event(&mut self, severity: Severity, message: &str) {
        let line = format_line(
            self.facility,
            severity,
            sys::unix_time(),
            sys::process_id(),
            message,
        );
        // Every failure is swallowed (see the module comment).
        let _ = sys::send_log(self.socket, line.as_bytes());
    }
}

/// Whom a log line is about: the registry of the image, or, before the
/// request was read, what is known of it.
pub(crate) struct Subject(String);

impl Subject {
    /// The image's registry (its name when it normalizes to none).
    pub(crate) fn of(image: &Reference) -> Self {
        Self(
            image
                .domain()
                .map_or_else(|| image.name(), |d| d.as_str().to_string()),
        )
    }

    /// A request not read at all.
    pub(crate) fn unread() -> Self {
        Self("an unread request".to_string())
    }

    /// What a request that was refused before lookup was about.
    pub(crate) fn of_unread_request(e: &RequestError) -> Self {
        match e {
            RequestError::InvalidImage { image, .. } => {
                Self(format!("image \"{}\"", Escaped(image)))
            }
            _ => Self("an unreadable request".to_string()),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A served request, for the audit trail: whom it was for and, when the
/// request carried a token, which pod identity it was answered as.
pub(crate) struct Event<'a> {
    /// The registry.
    pub(crate) subject: &'a Subject,
    /// The image, as the kubelet sent it (normalized).
    pub(crate) image: &'a Reference,
    /// The pod's namespace and service account.
    pub(crate) identity: Option<Identity<'a>>,
}

impl Event<'_> {
    /// `(image I[, namespace N, service account S]`, without the closing parenthesis.
    fn details(&self) -> String {
        let mut text = format!("(image {}", self.image.name());
        if let Some(id) = self.identity {
            let _ = write!(
                text,
                ", namespace {}, service account {}",
                id.namespace.as_str(),
                id.service_account.as_str()
            );
        }
        text
    }

    /// Credentials returned from `file` (relative to the root), in the
    /// original script's words plus the facts an auditor needs.
    pub(crate) fn fulfilled(&self, file: &str) -> String {
        format!(
            "Credential request fulfilled for {} {}, file {})",
            self.subject,
            self.details(),
            Escaped(file)
        )
    }

    /// No credential file for the registry.
    pub(crate) fn not_found(&self) -> String {
        format!(
            "Failed to fulfill credential request for {} {}): no credential file",
            self.subject,
            self.details()
        )
    }
}

/// A refusal, with its reason.
pub(crate) fn refused(subject: &Subject, reason: &Error) -> String {
    format!("Failed to fulfill credential request for {subject}: {reason}")
}

/// Formats one datagram: header, then the escaped message, cut to
/// [`MAX_LINE_BYTES`] (the escaped text is ASCII, so any cut is clean).
pub(crate) fn format_line(
    facility: Facility,
    severity: Severity,
    now: u64,
    pid: u32,
    message: &str,
) -> String {
    let pri = u32::from(facility.0) * 8 + severity as u32;
    let mut line = format!("<{pri}>{} {TAG}[{pid}]: ", Timestamp(now));
    let escaped = Printable(message).to_string();
    if line.len() + escaped.len() <= MAX_LINE_BYTES {
        line.push_str(&escaped);
        return line;
    }
    // Cut whole escapes only, so a reader never sees half of `\u{202E}`.
    let budget = MAX_LINE_BYTES.saturating_sub(TRUNCATION_MARK.len());
    let mut piece = String::new();
    for c in message.chars() {
        piece.clear();
        let _ = write!(piece, "{}", Printable(c.encode_utf8(&mut [0; 4])));
        if line.len() + piece.len() > budget {
            break;
        }
        line.push_str(&piece);
    }
    line.push_str(TRUNCATION_MARK);
    line
}

/// `Mmm dd hh:mm:ss` in UTC, the day padded with a space (`%b %e %T`). UTC as
/// musl's syslog sends it: a static binary has no time-zone database, and
/// rsyslog and journald take the time of a local line from the socket anyway.
struct Timestamp(u64);

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let secs = self.0;
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (_, month, day) = civil_from_days(days);
        let name = MONTHS
            .get(usize::from(month.saturating_sub(1)))
            .unwrap_or(&"Jan");
        write!(
            f,
            "{name} {day:>2} {:02}:{:02}:{:02}",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        )
    }
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), Howard Hinnant's
/// `civil_from_days` for non-negative day counts.
fn civil_from_days(days: u64) -> (u64, u8, u8) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (
        year,
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miri_formats_the_glibc_local_form() {
        let t = 1_796_031_843; // 2026-11-30 09:44:03 UTC
        let line = format_line(
            Facility::AUTHPRIV,
            Severity::Info,
            t,
            42,
            "Credential request fulfilled for a.io",
        );
        assert_eq!(
            line,
            "<86>Nov 30 09:44:03 generic-credential-provider[42]: Credential request fulfilled for a.io"
        );
        let t = 951_782_400; // 2000-02-29 00:00:00
        let line = format_line(
            Facility::from_name("local7").unwrap(),
            Severity::Err,
            t,
            1,
            "x",
        );
        assert_eq!(
            line,
            "<187>Feb 29 00:00:00 generic-credential-provider[1]: x"
        );
    }

    #[test]
    fn miri_facilities() {
        for (name, code) in [
            ("user", 1),
            ("daemon", 3),
            ("auth", 4),
            ("authpriv", 10),
            ("local0", 16),
            ("local7", 23),
        ] {
            assert_eq!(Facility::from_name(name), Some(Facility(code)));
        }
        for bad in ["", "kern", "local8", "local", "local00", "AUTH"] {
            assert_eq!(Facility::from_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn miri_escapes_and_bounds_hostile_text() {
        let hostile = format!("a\nb\u{1b}[31m\u{202e}{}", "\u{7f}".repeat(3000));
        let line = format_line(Facility::AUTHPRIV, Severity::Err, 0, 1, &hostile);
        assert!(line.len() <= MAX_LINE_BYTES);
        assert!(line.ends_with(TRUNCATION_MARK));
        assert!(line.bytes().all(|b| (0x20..0x7f).contains(&b)));
        assert!(line.contains("a\\nb\\u{001B}[31m\\u{202E}\\u{007F}"));
        // Already-escaped text is not escaped twice.
        let line = format_line(Facility::AUTHPRIV, Severity::Err, 0, 1, "a\\nb");
        assert!(line.ends_with(": a\\nb"));
        assert!(!line.trim_end_matches(TRUNCATION_MARK).ends_with("\\u{00"));
    }
}

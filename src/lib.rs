//! generic-credential-provider: a kubelet image credential provider that
//! answers from per-registry JSON files, trusting a file only after libc has
//! proven it safe, keeping secrets out of every log and wiping them from
//! memory. `main` wires the modules; each module owns one responsibility.
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod check;
pub mod cli;
pub mod credfile;
pub mod duration;
pub mod error;
pub mod kubelet_config;
pub mod lookup;
pub mod matcher;
pub mod reference;
pub mod request;
pub mod response;
pub mod secret;
pub mod syslog;
pub mod trust;
pub mod yaml;

mod sys;

pub use sys::{EntryKind, WipingAllocator, harden_process, is_dumpable};

use cli::{Command, PluginOptions};
use error::{Error, Escaped};
use response::{Answer, CacheKeyType};
use std::process::ExitCode;
use syslog::{Log, Severity, Syslog};

/// The program name used in every message.
pub const PROGRAM: &str = "generic-credential-provider";

/// The entry point: hardens the process first, then runs the command and
/// maps the outcome to an exit code (0 answered, 1 refused, 2 usage).
pub fn main() -> ExitCode {
    for failure in sys::harden_process() {
        print_stderr(&format!(
            "{PROGRAM}: warning: {} failed: {}\n",
            failure.step, failure.error
        ));
    }
    match cli::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            print_stdout(cli::HELP);
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            print_stdout(&format!("{PROGRAM} {}\n", env!("CARGO_PKG_VERSION")));
            ExitCode::SUCCESS
        }
        Ok(Command::Check(options)) => check::run(&options),
        Ok(Command::Plugin(options)) => {
            let mut log = Syslog::new(options.log_socket.clone(), options.log_facility);
            match run_plugin(&options, &mut log) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
        Err(e) => fail(&e),
    }
}

/// Writes text to stdout with one `write(2)` loop, without std's buffered
/// `Stdout` (which keeps a buffer alive for the whole process).
pub(crate) fn print_stdout(text: &str) {
    // Nothing useful can be done if stdout is closed; the exit code stands.
    let _ = sys::write_fd_all(sys::STDOUT, text.as_bytes());
}

/// Writes one message to stderr with `write(2)`.
fn print_stderr(text: &str) {
    // Nothing useful can be done if stderr is closed; the exit code stands.
    let _ = sys::write_fd_all(sys::STDERR, text.as_bytes());
}

fn fail(e: &Error) -> ExitCode {
    print_stderr(&format!("{PROGRAM}: {e}\n"));
    ExitCode::from(e.exit_code())
}

/// What a served request did, for the log.
enum Served {
    Fulfilled,
    NotFound,
}

/// Plugin mode: answers one request and logs one event. Every secret it
/// touches is owned by a `Secret` inside `serve`, so all of them are wiped
/// before this returns.
pub fn run_plugin(options: &PluginOptions, log: &mut dyn Log) -> Result<(), Error> {
    let mut subject = String::from("an unreadable request");
    match serve(options, &mut subject) {
        Ok(Served::Fulfilled) => {
            log.event(Severity::Info, &syslog::fulfilled(&subject));
            Ok(())
        }
        Ok(Served::NotFound) => {
            log.event(Severity::Notice, &syslog::not_found(&subject));
            Ok(())
        }
        Err(e) => {
            if let Error::InvalidImage { image, .. } = &e {
                subject = format!("image \"{}\"", Escaped(image));
            }
            log.event(Severity::Err, &syslog::refused(&subject, &e.to_string()));
            Err(e)
        }
    }
}

fn serve(options: &PluginOptions, subject: &mut String) -> Result<Served, Error> {
    let request = {
        // The input buffer may hold a service-account token: it is wiped as
        // soon as the three fields we need are decoded.
        let input = request::read_stdin()?;
        request::decode(input.as_bytes())?
    };
    let image = &request.image;
    let name = image.name();
    *subject = image
        .domain()
        .map_or_else(|| name.clone(), |d| d.as_str().to_owned());
    let root = trust::TrustedDir::open_root(&options.credroot)?;
    let lookup = lookup::find(&root, image)?;
    let (Some(found), Some(domain)) = (lookup.found, image.domain()) else {
        let none = Answer {
            api_version: request.api_version,
            cache_key_type: CacheKeyType::Registry,
            cache_duration: duration::Duration::ZERO,
            auth: None,
        };
        write_answer(&none, &name)?;
        return Ok(Served::NotFound);
    };
    let credential =
        credfile::decode(found.file.contents.as_bytes()).map_err(|problem| Error::Content {
            path: found.file.path.clone(),
            problem,
        })?;
    let (key, cache_key_type) = found.answer_key(domain, image);
    let answer = Answer {
        api_version: request.api_version,
        cache_key_type,
        cache_duration: credential
            .duration
            .unwrap_or(duration::Duration::FIVE_MINUTES),
        auth: Some((&key, &credential)),
    };
    write_answer(&answer, &name)?;
    Ok(Served::Fulfilled)
}

/// Checks the answer against the kubelet's matcher, then writes it with one
/// `write`; the buffer is wiped when it goes out of scope right after.
fn write_answer(answer: &Answer<'_>, image_name: &str) -> Result<(), Error> {
    if let Some((key, _)) = answer.auth {
        if !matcher::answer_matches(key, image_name) {
            return Err(Error::SelfCheck {
                key: key.to_owned(),
                image: image_name.to_owned(),
            });
        }
    }
    let Some(bytes) = response::write(answer) else {
        return Err(Error::Internal(
            "the response did not fit the buffer sized for it",
        ));
    };
    sys::write_fd_all(sys::STDOUT, bytes.as_bytes()).map_err(Error::StdoutWrite)
}

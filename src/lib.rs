//! generic-credential-provider: a kubelet image credential provider that
//! answers from per-registry JSON files, trusting a file only after libc has
//! proven it safe, keeping secrets out of every log and wiping them from
//! memory. The library has no std runtime (`no_std` with `alloc`; unit tests
//! use std); [`main`] wires the modules, each of which owns one responsibility.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod answer;
mod arena;
mod base64;
mod check;
mod cli;
mod credfile;
mod dockerconfig;
mod duration;
mod errno;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzz;
mod json;
mod kubelet_config;
mod layout;
mod lookup;
mod matcher;
mod mirror;
mod reference;
mod request;
mod response;
mod secret;
mod sys;
mod syslog;
mod token;
mod trust;
mod write;
mod yaml;

pub use sys::{Allocator, Argv, MallocAllocator, abort_on_panic};

use alloc::format;
use alloc::string::String;
use cli::{Command, PluginOptions};
use core::ffi::c_int;
use error::Error;
use lookup::Identity;
use syslog::{Log, Severity, Syslog};
use token::UnverifiedClaims;

/// The program name used in every message.
pub(crate) const PROGRAM: &str = "generic-credential-provider";

/// Exit code: answered (with or without credentials).
const EXIT_ANSWERED: u8 = 0;
/// Exit code: refused or failed.
const EXIT_REFUSED: u8 = 1;

/// The entry point, called by the binary's C `main`: first what std's
/// runtime did that we rely on (descriptors 0-2 open, `SIGPIPE` ignored),
/// then the hardening, then the command; returns the exit code (0 answered,
/// 1 refused, 2 usage).
pub fn main(argv: Argv) -> c_int {
    // With one of 0-2 closed, the first descriptor we open would take its
    // place: stop before opening anything. Nothing can be reported, since
    // stderr may be the closed one.
    if sys::standard_descriptors().is_err() {
        return c_int::from(EXIT_REFUSED);
    }
    // Cannot fail for these signals; if it did, a closed stdout or a lease
    // break would end the process by the signal, which leaks nothing either.
    let _ = sys::ignore_signals();
    let hardening = sys::harden_process();
    let mut args = argv.iter();
    let program = args.next().unwrap_or_default();
    let code = match cli::parse(args) {
        Ok(Command::Plugin(options)) => {
            let mut log = Syslog::new(options.log_socket.as_bytes(), options.log_facility);
            // Plugin mode fails closed: no credential is read by a process
            // that could still dump core or be attached to.
            let outcome = match hardening.first() {
                Some(failure) => {
                    let e = Error::Hardening(*failure);
                    log.event(
                        Severity::Err,
                        &syslog::refused(&syslog::Subject::unread(), &e),
                    );
                    Err(e)
                }
                None => run_plugin(&options, &mut log),
            };
            match outcome {
                Ok(()) => EXIT_ANSWERED,
                Err(e) => fail(&e),
            }
        }
        Ok(command) => {
            for failure in &hardening {
                print_stderr(&format!(
                    "{PROGRAM}: warning: {}\n",
                    error::HardeningWarning(*failure)
                ));
            }
            match command {
                Command::Help => {
                    print_stdout(cli::HELP);
                    EXIT_ANSWERED
                }
                Command::Version => {
                    print_stdout(&cli::version_line());
                    EXIT_ANSWERED
                }
                Command::Check(options) => check::run(&options, program),
                Command::Put(options) => match write::put(&options) {
                    Ok(()) => EXIT_ANSWERED,
                    Err(e) => fail(&e),
                },
                Command::Import(options) => match write::import(&options) {
                    Ok(code) => code,
                    Err(e) => fail(&e),
                },
                Command::Plugin(_) => EXIT_REFUSED,
            }
        }
        Err(e) => fail(&e),
    };
    c_int::from(code)
}

/// Writes text to stdout with one `write(2)` loop, without a buffer that
/// would keep a copy.
pub(crate) fn print_stdout(text: &str) {
    // Nothing useful can be done if stdout is closed; the exit code stands.
    let _ = sys::write_std(sys::Std::Out, text.as_bytes());
}

/// Writes one message to stderr with `write(2)`.
fn print_stderr(text: &str) {
    // Nothing useful can be done if stderr is closed; the exit code stands.
    let _ = sys::write_std(sys::Std::Err, text.as_bytes());
}

fn fail(e: &Error) -> u8 {
    print_stderr(&format!("{PROGRAM}: {e}\n"));
    e.exit_code()
}

/// What a served request did, for the log line.
enum Served {
    /// Credentials returned from this file (relative to the root).
    Fulfilled(String),
    /// No credential file for the registry.
    NotFound,
}

/// Plugin mode: answers one request and logs one event. Every secret it
/// touches is owned by a `Secret`, so all of them are wiped before this
/// returns.
fn run_plugin(options: &PluginOptions, log: &mut dyn Log) -> Result<(), Error> {
    let request = {
        // The input buffer may hold a service-account token: it is wiped as
        // soon as the fields we need are decoded.
        let decoded = request::read_stdin().and_then(|input| request::decode(input.as_bytes()));
        match decoded {
            Ok(request) => request,
            Err(e) => {
                let subject = syslog::Subject::of_unread_request(&e);
                let e = Error::from(e);
                log.event(Severity::Err, &syslog::refused(&subject, &e));
                return Err(e);
            }
        }
    };
    let subject = syslog::Subject::of(&request.image);
    let outcome = pod_identity(options, &request).and_then(|claims| {
        serve(options, &request, claims.as_ref()).map(|served| (served, claims))
    });
    match outcome {
        Ok((served, claims)) => {
            let event = syslog::Event {
                subject: &subject,
                image: &request.image,
                identity: claims.as_ref().map(identity),
            };
            match served {
                Served::Fulfilled(file) => log.event(Severity::Info, &event.fulfilled(&file)),
                Served::NotFound => log.event(Severity::Notice, &event.not_found()),
            }
            Ok(())
        }
        Err(e) => {
            log.event(Severity::Err, &syslog::refused(&subject, &e));
            Err(e)
        }
    }
}

/// The pod's identity from its token, if the request carries one. Its
/// signature is not verified: the token comes from the kubelet on a pipe.
fn pod_identity(
    options: &PluginOptions,
    request: &request::Request,
) -> Result<Option<UnverifiedClaims>, Error> {
    let Some(jwt) = &request.token else {
        return Ok(None);
    };
    token::claims(
        jwt.as_bytes(),
        sys::unix_time(),
        options.audience.as_deref(),
    )
    .map(Some)
    .map_err(Error::Token)
}

fn identity(claims: &UnverifiedClaims) -> Identity<'_> {
    Identity {
        namespace: claims.namespace(),
        service_account: claims.service_account(),
    }
}

fn serve(
    options: &PluginOptions,
    request: &request::Request,
    claims: Option<&UnverifiedClaims>,
) -> Result<Served, Error> {
    let image = &request.image;
    let root = trust::TrustedDir::open_root(&options.credroot)?;
    let identity = claims.map(identity);
    let (answer, file) = match (lookup::find_mirror(&root, image, identity)?, image.domain()) {
        (Some(mirror_file), Some(upstream)) => {
            let (answer, files) =
                answer::through_mirror_file(&root, image, upstream, &mirror_file, identity)?;
            let file = format!(
                "{}, through mirror {} of {}",
                root.relative(&files.mirror_credential),
                files.mirror.as_str(),
                root.relative(&mirror_file.file.path)
            );
            (Some(answer), Some(file))
        }
        (_, domain) => {
            let found = lookup::find(&root, image, identity, false)?.found;
            match (found, domain) {
                (Some(found), Some(domain)) => (
                    Some(answer::answer_for(&found, domain, image)?),
                    Some(root.relative(&found.file.path).into()),
                ),
                _ => (None, None),
            }
        }
    };
    let bytes = answer::write(request.api_version, answer.as_ref(), &image.name())?;
    sys::write_std(sys::Std::Out, bytes.as_bytes()).map_err(Error::StdoutWrite)?;
    root.keep_until_exit();
    Ok(match file {
        Some(file) => Served::Fulfilled(file),
        None => Served::NotFound,
    })
}

/// A string for messages from bytes that may not be UTF-8.
pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

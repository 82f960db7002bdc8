//! Integration tests: each runs the built binary against scratch credential
//! roots, asserting exit code, exact stdout and stderr.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[macro_use]
mod util;

mod check;
mod hardening;
mod memory;
mod mirrors;
mod process;
mod protocol;
mod put;
mod repository;
mod scopes;
mod syslog;

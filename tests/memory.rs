//! No secret survives in memory (issue 4): the real binary runs under gdb,
//! which takes a core image at the `exit_group` system call, the last
//! instruction of the process; the test counts each unique secret in it.
//! The same harness, stopped at the `write` of the answer, must see the
//! password, so these tests can fail.

use crate::util::*;
use std::fs;
use std::path::Path;
use std::process::Command;

const USERNAME: &str = "user-5f1c2e-unique";
const PASSWORD: &str = "pass-8b7d3a-unique";
/// The pod's namespace and service account: unique text inside the token.
const TOKEN_NAMESPACE: &str = "ns-4e9a1c-unique";
const ANNOTATION: &str = "annotation-value-2c8f6d-unique";

/// Runs the plugin under gdb, stopping where `catch` says (plus an optional
/// condition), and returns the core image taken there.
fn core_at(s: &Scratch, stdin: &str, catch: &str, condition: Option<&str>) -> Vec<u8> {
    let request = s.dir.join("request.json");
    let out = s.dir.join("stdout");
    let core = s.dir.join("core");
    fs::write(&request, stdin).unwrap();
    let run = format!(
        "run --credroot {} --log-socket {} < {} > {}",
        s.root.display(),
        s.dir.join("no-syslog").display(),
        request.display(),
        out.display()
    );
    let mut args = vec!["-batch", "-nx", "-ex", "set pagination off", "-ex", catch];
    let cond = condition.map(|c| format!("condition 1 {c}"));
    if let Some(c) = &cond {
        args.extend(["-ex", c]);
    }
    let gcore = format!("gcore {}", core.display());
    let binary = bin();
    args.extend(["-ex", &run, "-ex", &gcore, "-ex", "kill", &binary]);
    let gdb = Command::new("gdb").args(&args).output().unwrap();
    assert!(
        Path::new(&core).exists(),
        "gdb took no core: {}",
        String::from_utf8_lossy(&gdb.stdout) + String::from_utf8_lossy(&gdb.stderr)
    );
    fs::read(&core).unwrap()
}

fn count(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

fn core_at_exit(s: &Scratch, stdin: &str) -> Vec<u8> {
    core_at(s, stdin, "catch syscall exit_group", None)
}

fn assert_no_secret(core: &[u8], secrets: &[&str]) {
    assert!(
        core.len() > 100_000,
        "implausibly small core ({} bytes)",
        core.len()
    );
    for secret in secrets {
        assert_eq!(
            count(core, secret),
            0,
            "{secret} survives in the core image"
        );
    }
}

#[test]
fn no_secret_in_a_core_taken_at_exit_after_an_answer() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    let s = Scratch::new("core-ok");
    s.cred("registry.example.org.json", USERNAME, PASSWORD);
    let core = core_at_exit(&s, &request("registry.example.org/app"));
    let answered = fs::read_to_string(s.dir.join("stdout")).unwrap();
    assert!(
        answered.contains(PASSWORD),
        "the run under gdb must really answer: {answered}"
    );
    assert_no_secret(&core, &[USERNAME, PASSWORD]);
}

#[test]
fn no_secret_in_a_core_with_a_10_kib_password() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    let s = Scratch::new("core-big");
    // Escapes force miniserde through its scratch buffer, which grows.
    let big = format!("{PASSWORD}{}", "\\n0123456789abcdef".repeat(600));
    s.cred("registry.example.org.json", USERNAME, &big);
    let core = core_at_exit(&s, &request("registry.example.org/app"));
    assert!(
        fs::read_to_string(s.dir.join("stdout"))
            .unwrap()
            .contains(PASSWORD)
    );
    assert_no_secret(
        &core,
        &[USERNAME, PASSWORD, "0123456789abcdef\\n0123456789abcdef"],
    );
}

#[test]
fn no_token_or_annotation_in_a_core() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    let s = Scratch::new("core-token");
    s.cred("registry.example.org.json", USERNAME, PASSWORD);
    let token = jwt(TOKEN_NAMESPACE, "builder");
    let body = format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{V1}","image":"registry.example.org/app","serviceAccountToken":"{token}","serviceAccountAnnotations":{{"domain.io/a":"{ANNOTATION}","escaped":"{ANNOTATION}\n"}}}}"#
    );
    let core = core_at_exit(&s, &body);
    assert!(
        fs::read_to_string(s.dir.join("stdout"))
            .unwrap()
            .contains(PASSWORD),
        "the token-bearing request must really be answered"
    );
    // The token's own bytes (its base64url payload) and the payload decoded.
    let payload = token.split('.').nth(1).unwrap();
    assert_no_secret(
        &core,
        &[
            USERNAME,
            PASSWORD,
            &token,
            payload,
            &payload[..40],
            ANNOTATION,
        ],
    );
}

#[test]
fn no_secret_in_a_core_after_a_refusal() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    let s = Scratch::new("core-refused");
    s.file(
        "registry.example.org.json",
        &format!(r#"{{"username":"{USERNAME}","password":"{PASSWORD}","duration":"1d"}}"#),
        0o600,
    );
    let core = core_at_exit(&s, &request("registry.example.org/app"));
    assert_eq!(
        fs::read_to_string(s.dir.join("stdout")).unwrap(),
        "",
        "refused: nothing on stdout"
    );
    assert_no_secret(&core, &[USERNAME, PASSWORD]);
}

#[test]
fn the_harness_sees_the_password_while_the_answer_is_written() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    let s = Scratch::new("core-write");
    s.cred("registry.example.org.json", USERNAME, PASSWORD);
    // Stop at the write(2) to stdout (fd 1 in rdi on x86_64).
    let core = core_at(
        &s,
        &request("registry.example.org/app"),
        "catch syscall write",
        Some("$rdi == 1"),
    );
    assert!(
        count(&core, PASSWORD) >= 1,
        "the core at write time must hold the password"
    );
    assert!(count(&core, USERNAME) >= 1);
}

//! The process, end to end against the real binary (issues 13 and 18): what
//! std's runtime did that the no_std binary now does itself (descriptors 0-2
//! on /dev/null, SIGPIPE ignored, the fixed panic line), the hardening that
//! fails closed under a seccomp filter, a same-length rewrite in place, non-
//! blocking pipes, a terminal on stdin, and what messages may quote.
//!
//! The tests take no libc dependency, so what needs a system call before
//! `exec` (closing a descriptor, `O_NONBLOCK`, a pty, a seccomp filter, a
//! resource limit) is done by a `python3` launcher that then execs the binary
//! in place: same pid, the state it set up inherited.

use crate::util::*;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const PASSWORD: &str = "process-pw-5c81d2";
const HOST: &str = "registry.example.org";
const IMAGE: &str = "registry.example.org/team/app";
const FILE: &str = "registry.example.org.json";
/// A launched run that takes longer than this hung.
const DEADLINE: Duration = Duration::from_secs(10);
/// `<PRI>` of an `err` line at the default facility, authpriv (10 * 8 + 3).
const PRI_ERR: &str = "<83>";
/// The refusal every hardening failure ends with.
const HARDENING_REFUSAL: &str =
    "; refusing to read credentials in a process that could dump core or be traced";

fn ok_answer(password: &str) -> String {
    Expect::registry(HOST).creds("user", password).json()
}

/// `python3 -c` running `prelude`, then execing the binary with `args` in
/// its place; stdin, stdout and stderr piped.
fn launcher(prelude: &str, args: &[&str]) -> Command {
    let code = format!("import os, sys\n{prelude}\nos.execv(sys.argv[1], sys.argv[1:])\n");
    let mut cmd = Command::new("python3");
    cmd.arg("-c").arg(code).arg(bin()).args(args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// What the test does with the child's stdin.
enum Stdin {
    /// Writes these bytes after this delay, then closes it.
    Write(Vec<u8>, Duration),
    /// Keeps it open and empty until the child exits: a child that read it
    /// would wait until [`DEADLINE`].
    HoldOpen,
}

/// How a launched child ended.
#[derive(Debug)]
struct Exit {
    code: Option<i32>,
    signal: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
    elapsed: Duration,
}

impl Exit {
    fn stdout(&self) -> &str {
        std::str::from_utf8(&self.stdout).unwrap()
    }

    /// Asserts exit `code`, exactly `stdout` and exactly `stderr`; a
    /// failure shows the start of each stream, not 64 KiB of it.
    fn is(&self, code: i32, stdout: &str, stderr: &str) {
        let actual = (self.code, self.stdout(), self.stderr.as_str());
        assert!(
            actual == (Some(code), stdout, stderr),
            "expected exit {code}, stdout {}, stderr {}\n     got exit {:?} (signal {:?}), stdout {}, stderr {}",
            cut(stdout),
            cut(stderr),
            self.code,
            self.signal,
            cut(self.stdout()),
            cut(&self.stderr),
        );
    }

    /// Exit 1, nothing on stdout, exactly this one stderr line.
    fn refused_with(&self, reason: &str) {
        self.is(1, "", &format!("generic-credential-provider: {reason}\n"));
    }

    /// Exit 0, stdout exactly `json` and a newline, nothing on stderr.
    fn answered(&self, json: &str) {
        self.is(0, &format!("{json}\n"), "");
    }
}

/// The start of `s` and its length, for a failure message.
fn cut(s: &str) -> String {
    const SHOWN_CHARS: usize = 160;
    match s.char_indices().nth(SHOWN_CHARS) {
        Some((i, _)) => format!("{:?}... ({} bytes)", &s[..i], s.len()),
        None => format!("{s:?}"),
    }
}

/// Spawns `cmd`, feeds stdin as `stdin` says, starts reading stdout after
/// `read_delay`, and waits for the end; kills the child and fails after
/// [`DEADLINE`].
fn launch(cmd: &mut Command, stdin: Stdin, read_delay: Duration) -> Exit {
    let mut child = cmd.spawn().unwrap();
    finish(&mut child, stdin, read_delay)
}

fn finish(child: &mut std::process::Child, stdin: Stdin, read_delay: Duration) -> Exit {
    let start = Instant::now();
    let input = child.stdin.take().unwrap();
    let mut held: Option<ChildStdin> = None;
    let writer = match stdin {
        Stdin::Write(bytes, delay) => Some(thread::spawn(move || {
            thread::sleep(delay);
            let mut input = input;
            // The child may refuse before reading everything: ignore EPIPE.
            let _ = input.write_all(&bytes);
        })),
        Stdin::HoldOpen => {
            held = Some(input);
            None
        }
    };
    let mut out = child.stdout.take().unwrap();
    let reader = thread::spawn(move || {
        thread::sleep(read_delay);
        let mut buf = Vec::new();
        out.read_to_end(&mut buf).unwrap();
        buf
    });
    let mut err = child.stderr.take().unwrap();
    let err_reader = thread::spawn(move || {
        let mut buf = String::new();
        err.read_to_string(&mut buf).unwrap();
        buf
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("the plugin hung for {DEADLINE:?}");
        }
        thread::sleep(Duration::from_millis(2));
    };
    let elapsed = start.elapsed();
    drop(held);
    if let Some(w) = writer {
        w.join().unwrap();
    }
    Exit {
        code: status.code(),
        signal: status.signal(),
        stdout: reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
        elapsed,
    }
}

/// A datagram socket the test binds for the plugin's `--log-socket`.
struct LogSocket {
    sock: UnixDatagram,
    path: PathBuf,
}

impl LogSocket {
    fn bind(s: &Scratch) -> Self {
        let path = s.dir.join("log.sock");
        let _ = fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        Self { sock, path }
    }

    fn path(&self) -> &str {
        self.path.to_str().unwrap()
    }

    /// Every line received so far, as (`<PRI>`, message after the header).
    fn lines(&self) -> Vec<(String, String)> {
        let mut lines = Vec::new();
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = self.sock.recv(&mut buf) {
            let line = String::from_utf8(buf[..n].to_vec()).unwrap();
            let pri = line[..line.find('>').unwrap() + 1].to_owned();
            let message = line.split_once("]: ").unwrap().1.to_owned();
            lines.push((pri, message));
        }
        lines
    }

    /// Asserts that exactly one `err` line arrived, with this message.
    fn one_err(&self, message: &str) {
        assert_eq!(
            self.lines(),
            [(PRI_ERR.to_owned(), message.to_owned())],
            "the one syslog line"
        );
    }
}

/// The plugin's arguments for scratch `s` logging to `log`.
fn plugin_args<'a>(s: &'a Scratch, log: &'a LogSocket) -> [&'a str; 4] {
    ["--credroot", s.root_str(), "--log-socket", log.path()]
}

/// Where descriptor `fd` of process `pid` points, if it is open.
fn fd_target(pid: u32, fd: u32) -> Option<String> {
    fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .ok()
        .map(|p| p.display().to_string())
}

/// The open descriptors of /proc/`pid`.
fn open_fds(pid: &str) -> Vec<u32> {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .into_string()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect()
}

/// `O_CLOEXEC`, as /proc/<pid>/fdinfo prints flags (octal).
const O_CLOEXEC: u32 = 0o2000000;

/// Whether descriptor `fd` of /proc/`pid` is closed on exec (a descriptor
/// closed meanwhile counts as closed on exec: it cannot be inherited).
fn close_on_exec(pid: &str, fd: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}"))
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        })
        .is_none_or(|flags| flags & O_CLOEXEC != 0)
}

/// Root reads /proc/<pid>/fd of the undumpable plugin; nobody else may.
fn root_for_proc_or_skip(test: &str) -> bool {
    if euid() == 0 {
        return true;
    }
    println!("SKIPPED {test}: reading /proc/<pid>/fd of an undumpable process needs root");
    false
}

// --- Descriptors 0-2 (issue 13) ---

#[test]
fn closed_stdout_and_stderr_are_reopened_on_dev_null_before_anything_is_opened() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !root_for_proc_or_skip(
        "closed_stdout_and_stderr_are_reopened_on_dev_null_before_anything_is_opened",
    ) {
        return;
    }
    let s = Scratch::new("closed-out");
    s.cred(FILE, "user", PASSWORD);
    let log = LogSocket::bind(&s);
    let mut child = launcher("os.close(1)\nos.close(2)", &plugin_args(&s, &log))
        .spawn()
        .unwrap();
    let pid = child.id();
    // The plugin waits for its request: by then it has opened nothing but
    // /dev/null on the two closed descriptors. Without that, the first
    // directory, the credential file or the log socket would become fd 1.
    let start = Instant::now();
    while fd_target(pid, 1).as_deref() != Some("/dev/null") {
        assert!(
            start.elapsed() < DEADLINE,
            "fd 1 never became /dev/null: {:?}",
            fd_target(pid, 1)
        );
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(fd_target(pid, 2).as_deref(), Some("/dev/null"));
    assert!(fd_target(pid, 0).unwrap().starts_with("pipe:"));
    // Nothing else is open yet but what this test process passed down (a
    // descriptor without close-on-exec that its own parent left open).
    let inherited: Vec<u32> = open_fds("self")
        .into_iter()
        .filter(|fd| !close_on_exec("self", *fd))
        .collect();
    let extra: Vec<u32> = open_fds(&pid.to_string())
        .into_iter()
        .filter(|fd| *fd > 2 && !inherited.contains(fd))
        .collect();
    assert_eq!(extra, [], "opened before the request was read");

    let out = finish(
        &mut child,
        Stdin::Write(request(IMAGE).into_bytes(), Duration::ZERO),
        Duration::ZERO,
    );
    // /dev/null is opened read-write, as std did, so the answer goes
    // there: exit 0. The answer reached nothing readable, and the log line
    // reached the socket, not a standard descriptor.
    out.is(0, "", "");
    assert_eq!(
        log.lines(),
        [(
            "<86>".to_owned(),
            format!("Credential request fulfilled for {HOST} (image {HOST}/team/app, file {FILE})")
        )],
        "the one syslog line"
    );
}

#[test]
fn a_closed_stdin_reads_as_an_empty_request() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    let s = Scratch::new("closed-in");
    s.cred(FILE, "user", PASSWORD);
    let log = LogSocket::bind(&s);
    let out = launch(
        &mut launcher("os.close(0)", &plugin_args(&s, &log)),
        Stdin::HoldOpen,
        Duration::ZERO,
    );
    // Without /dev/null on fd 0 the read would fail with EBADF instead.
    out.refused_with("the request on stdin is empty");
    log.one_err(
        "Failed to fulfill credential request for an unreadable request: the request on stdin is empty",
    );
}

// --- SIGPIPE (issue 13) ---

#[test]
fn a_closed_stdout_pipe_is_an_error_with_exit_1_not_death_by_sigpipe() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    let s = Scratch::new("sigpipe");
    s.cred(FILE, "user", PASSWORD);
    let log = LogSocket::bind(&s);
    // python ignores SIGPIPE itself and exec keeps an ignored signal
    // ignored: put the default back, as the kubelet's child starts with it.
    let prelude = "import signal\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\n\
                   r, w = os.pipe()\nos.close(r)\nos.dup2(w, 1)";
    let out = launch(
        &mut launcher(prelude, &plugin_args(&s, &log)),
        Stdin::Write(request(IMAGE).into_bytes(), Duration::ZERO),
        Duration::ZERO,
    );
    assert_eq!(out.signal, None, "killed by a signal: {out:?}");
    out.refused_with("cannot write the answer to stdout: Broken pipe");
    log.one_err(&format!(
        "Failed to fulfill credential request for {HOST}: cannot write the answer to stdout: Broken pipe"
    ));
}

// --- Hardening under seccomp (18.2) ---

/// x86_64 system call numbers the hardening uses (musl's and glibc's
/// `setrlimit` and `getrlimit` call `prlimit64`).
const NR_GETRLIMIT: u32 = 97;
const NR_PRCTL: u32 = 157;
const NR_SETRLIMIT: u32 = 160;
const NR_PRLIMIT64: u32 = 302;
const PR_SET_DUMPABLE: u32 = 4;
const EPERM: u32 = 1;
/// `SECCOMP_RET_ERRNO | 0`: the call returns 0 without doing anything.
const FAKE_SUCCESS: u32 = 0;

/// One rule: system call `nr` (and, if given, first argument `arg0`) returns
/// `-errno` instead of running.
#[derive(Clone)]
struct Deny {
    nr: u32,
    arg0: Option<u32>,
    errno: u32,
}

const fn deny(nr: u32, errno: u32) -> Deny {
    Deny {
        nr,
        arg0: None,
        errno,
    }
}

/// The rlimit calls, all answered with `errno`.
fn rlimit_rules(errno: u32) -> [Deny; 3] {
    [
        deny(NR_PRLIMIT64, errno),
        deny(NR_SETRLIMIT, errno),
        deny(NR_GETRLIMIT, errno),
    ]
}

/// Python that installs a seccomp filter applying `rules` and allowing
/// everything else (a foreign architecture is killed, as every filter
/// should). The filter's own `prctl` is the last one python makes: a
/// filter applies only after it is installed.
fn seccomp_prelude(rules: &[Deny]) -> String {
    seccomp_prelude_after(rules, "")
}

/// The same, running the python statements `before` just before the filter
/// is installed (when python has allocated all it needs).
fn seccomp_prelude_after(rules: &[Deny], before: &str) -> String {
    let rules: Vec<String> = rules
        .iter()
        .map(|r| {
            let arg0 = r.arg0.map_or("None".to_owned(), |a| a.to_string());
            format!("({}, {arg0}, {})", r.nr, r.errno)
        })
        .collect();
    format!(
        r#"import ctypes, struct
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06
AUDIT_ARCH_X86_64 = 0xc000003e
RET_KILL_PROCESS, RET_ERRNO, RET_ALLOW = 0x80000000, 0x00050000, 0x7fff0000
OFF_NR, OFF_ARCH, OFF_ARG0 = 0, 4, 16
prog = [(LD_W_ABS, 0, 0, OFF_ARCH), (JEQ_K, 1, 0, AUDIT_ARCH_X86_64), (RET_K, 0, 0, RET_KILL_PROCESS)]
for nr, arg0, errno in [{rules}]:
    prog.append((LD_W_ABS, 0, 0, OFF_NR))
    if arg0 is None:
        prog += [(JEQ_K, 0, 1, nr), (RET_K, 0, 0, RET_ERRNO | errno)]
    else:
        prog += [(JEQ_K, 0, 3, nr), (LD_W_ABS, 0, 0, OFF_ARG0), (JEQ_K, 0, 1, arg0), (RET_K, 0, 0, RET_ERRNO | errno)]
prog.append((RET_K, 0, 0, RET_ALLOW))
code = ctypes.create_string_buffer(b"".join(struct.pack("HBBI", *i) for i in prog))
class Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
fprog = Fprog(len(prog), ctypes.cast(code, ctypes.c_void_p))
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong]
{before}
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
    raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
    raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")"#,
        rules = rules.join(", ")
    )
}

fn x86_64_or_skip(test: &str) -> bool {
    if std::env::consts::ARCH == "x86_64" {
        return true;
    }
    println!(
        "SKIPPED {test}: the seccomp filter uses x86_64 system call numbers, not {}",
        std::env::consts::ARCH
    );
    false
}

/// Plugin mode under a filter applying `rules`, with a credential file in
/// place and stdin held open and empty: a refusal must come before stdin is
/// read, so a plugin that read it would hang until the deadline.
fn plugin_under(rules: &[Deny]) -> Exit {
    let s = Scratch::new("seccomp");
    s.cred(FILE, "user", PASSWORD);
    let socket = s.dir.join("no-syslog");
    let out = launch(
        &mut launcher(
            &seccomp_prelude(rules),
            &[
                "--credroot",
                s.root_str(),
                "--log-socket",
                socket.to_str().unwrap(),
            ],
        ),
        Stdin::HoldOpen,
        Duration::ZERO,
    );
    assert!(!out.stdout().contains(PASSWORD) && !out.stderr.contains(PASSWORD));
    out
}

#[test]
fn plugin_mode_refuses_before_reading_stdin_when_prctl_is_denied() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !x86_64_or_skip("plugin_mode_refuses_before_reading_stdin_when_prctl_is_denied") {
        return;
    }
    plugin_under(&[deny(NR_PRCTL, EPERM)]).refused_with(&format!(
        "prctl(PR_SET_DUMPABLE, 0) failed: Operation not permitted{HARDENING_REFUSAL}"
    ));
}

#[test]
fn plugin_mode_refuses_when_pr_set_dumpable_succeeds_without_effect() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !x86_64_or_skip("plugin_mode_refuses_when_pr_set_dumpable_succeeds_without_effect") {
        return;
    }
    // Only PR_SET_DUMPABLE is faked: PR_GET_DUMPABLE still tells the truth,
    // and the read-back catches the lie.
    let rules = [Deny {
        nr: NR_PRCTL,
        arg0: Some(PR_SET_DUMPABLE),
        errno: FAKE_SUCCESS,
    }];
    plugin_under(&rules).refused_with(&format!(
        "prctl(PR_SET_DUMPABLE, 0) reported success but did not take effect{HARDENING_REFUSAL}"
    ));
}

#[test]
fn plugin_mode_refuses_when_the_core_limit_cannot_be_set() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !x86_64_or_skip("plugin_mode_refuses_when_the_core_limit_cannot_be_set") {
        return;
    }
    plugin_under(&rlimit_rules(EPERM)).refused_with(&format!(
        "setrlimit(RLIMIT_CORE, 0) failed: Operation not permitted{HARDENING_REFUSAL}"
    ));
}

#[test]
fn plugin_mode_refuses_when_setting_the_core_limit_succeeds_without_effect() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !x86_64_or_skip("plugin_mode_refuses_when_setting_the_core_limit_succeeds_without_effect") {
        return;
    }
    plugin_under(&rlimit_rules(FAKE_SUCCESS)).refused_with(&format!(
        "setrlimit(RLIMIT_CORE, 0) reported success but did not take effect{HARDENING_REFUSAL}"
    ));
}

#[test]
fn a_prctl_faked_entirely_is_caught_by_a_probe_the_kernel_refuses() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !x86_64_or_skip("a_prctl_faked_entirely_is_caught_by_a_probe_the_kernel_refuses") {
        return;
    }
    // Every prctl "succeeds", PR_GET_DUMPABLE included, whose 0 reads as
    // "not dumpable". PR_SET_DUMPABLE 2 is a value the kernel refuses
    // (EINVAL): its success shows the calls are not reaching the kernel.
    for rules in [
        vec![deny(NR_PRCTL, FAKE_SUCCESS)],
        [
            vec![deny(NR_PRCTL, FAKE_SUCCESS)],
            rlimit_rules(EPERM).to_vec(),
        ]
        .concat(),
    ] {
        plugin_under(&rules).refused_with(&format!(
            "prctl(PR_SET_DUMPABLE, 0) reported success but did not take effect{HARDENING_REFUSAL}"
        ));
    }
}

#[test]
fn with_prctl_faked_entirely_the_core_limit_still_holds() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !x86_64_or_skip("with_prctl_faked_entirely_the_core_limit_still_holds") {
        return;
    }
    // The core limit, the second layer, is set and holds even when every
    // prctl is faked (/proc/<pid>/limits is readable by anyone), and the
    // probe refuses the request all the same.
    let s = Scratch::new("prctl-faked");
    s.cred(FILE, "user", PASSWORD);
    let log = LogSocket::bind(&s);
    let mut child = launcher(
        &seccomp_prelude(&[deny(NR_PRCTL, FAKE_SUCCESS)]),
        &plugin_args(&s, &log),
    )
    .spawn()
    .unwrap();
    let pid = child.id();
    let core_limit = || {
        fs::read_to_string(format!("/proc/{pid}/limits"))
            .ok()
            .and_then(|l| {
                l.lines()
                    .find(|l| l.starts_with("Max core file size"))
                    .map(|l| {
                        l.split_whitespace()
                            .skip(4)
                            .take(2)
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
            })
    };
    let start = Instant::now();
    while core_limit().as_deref() != Some("0 0") {
        assert!(
            start.elapsed() < DEADLINE,
            "the core limit never became 0: {:?}",
            core_limit()
        );
        thread::sleep(Duration::from_millis(2));
    }
    let out = finish(
        &mut child,
        Stdin::Write(request(IMAGE).into_bytes(), Duration::ZERO),
        Duration::ZERO,
    );
    out.refused_with(&format!(
        "prctl(PR_SET_DUMPABLE, 0) reported success but did not take effect{HARDENING_REFUSAL}"
    ));
}

#[test]
fn check_warns_under_the_same_filter_and_still_audits() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    if !x86_64_or_skip("check_warns_under_the_same_filter_and_still_audits") {
        return;
    }
    let s = Scratch::new("seccomp-check");
    s.cred(FILE, "user", PASSWORD);
    let mut rules = vec![deny(NR_PRCTL, EPERM)];
    rules.extend(rlimit_rules(EPERM));
    let out = launch(
        &mut launcher(
            &seccomp_prelude(&rules),
            &["check", "--credroot", s.root_str()],
        ),
        Stdin::Write(Vec::new(), Duration::ZERO),
        Duration::ZERO,
    );
    let r = s.root.display();
    out.is(
        0,
        &format!(
            "ok    credential root {r}\n\
             ok    {r}/{FILE}: answers {HOST}, cacheDuration 5m0s\n\
             summary: 1 credential file(s), 1 usable; 0 problem(s): all usable\n"
        ),
        "generic-credential-provider: warning: prctl(PR_SET_DUMPABLE, 0) failed: Operation not permitted\n\
         generic-credential-provider: warning: setrlimit(RLIMIT_CORE, 0) failed: Operation not permitted\n",
    );
}

// --- Torn reads (18.1) ---

/// Requests run while the file is rewritten in place, and how many at once.
const TORN_REQUESTS: usize = 600;
const TORN_PARALLEL: usize = 4;
const TORN_PASSWORD_BYTES: usize = 5000;

#[test]
fn a_same_length_rewrite_in_place_never_serves_a_spliced_password() {
    let s = Scratch::new("torn");
    let a = "A".repeat(TORN_PASSWORD_BYTES);
    let b = "B".repeat(TORN_PASSWORD_BYTES);
    let contents = |p: &str| format!(r#"{{"username":"user","password":"{p}"}}"#);
    let path = s.file(FILE, &contents(&a), 0o600);
    let (answer_a, answer_b) = (ok_answer(&a) + "\n", ok_answer(&b) + "\n");
    let changed = format!(
        "generic-credential-provider: {} changed while it was read; write a temporary file and rename it (or use put)\n",
        path.display()
    );
    let versions = [contents(&a).into_bytes(), contents(&b).into_bytes()];
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let (runs, writes) = thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut writes = 0usize;
            while !stop.load(Ordering::Relaxed) {
                // Open, `pwrite` at offset 0 with the same length, close:
                // what `dd conv=notrunc` or an `r+` script does each time.
                let file = fs::OpenOptions::new().write(true).open(&path).unwrap();
                file.write_all_at(&versions[writes % 2], 0).unwrap();
                writes += 1;
            }
            writes
        });
        let workers: Vec<_> = (0..TORN_PARALLEL)
            .map(|_| {
                scope.spawn(|| {
                    (0..TORN_REQUESTS / TORN_PARALLEL)
                        .map(|_| s.run(request(IMAGE).as_bytes()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let runs: Vec<Run> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        stop.store(true, Ordering::Relaxed);
        (runs, writer.join().unwrap())
    });
    let (mut from_a, mut from_b, mut refusals, mut spliced) = (0, 0, 0, 0);
    for run in &runs {
        match (run.code, run.stdout.as_str(), run.stderr.as_str()) {
            (0, out, "") if out == answer_a => from_a += 1,
            (0, out, "") if out == answer_b => from_b += 1,
            (1, "", err) if err == changed => refusals += 1,
            (0, out, _) if out.contains("AB") || out.contains("BA") => spliced += 1,
            _ => panic!(
                "neither A, B nor a refusal: exit {}, {} bytes of stdout, stderr {:?}",
                run.code,
                run.stdout.len(),
                run.stderr
            ),
        }
    }
    println!(
        "torn reads: {} requests ({TORN_PARALLEL} at a time) against {writes} rewrites in {:?}: \
         {from_a} answers A, {from_b} answers B, {refusals} refusals, {spliced} spliced",
        runs.len(),
        start.elapsed()
    );
    assert_eq!(spliced, 0, "spliced passwords served");
    assert_eq!(from_a + from_b + refusals, TORN_REQUESTS);
}

// --- Non-blocking pipes (18.4) ---

/// The largest credential file: 64 KiB, so the answer is larger than a
/// pipe's default 64 KiB buffer.
const MAX_FILE_BYTES: usize = 64 * 1024;

#[test]
fn a_non_blocking_stdout_pipe_gets_the_whole_answer() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    let s = Scratch::new("nonblock-out");
    let overhead = r#"{"username":"user","password":""}"#.len();
    let password = "p".repeat(MAX_FILE_BYTES - overhead);
    let path = s.cred(FILE, "user", &password);
    assert_eq!(fs::metadata(path).unwrap().len(), MAX_FILE_BYTES as u64);
    let log = LogSocket::bind(&s);
    // The pipe fills at 64 KiB; the test starts reading only later, so the
    // plugin meets EAGAIN and must wait instead of stopping half-way.
    let out = launch(
        &mut launcher("os.set_blocking(1, False)", &plugin_args(&s, &log)),
        Stdin::Write(request(IMAGE).into_bytes(), Duration::ZERO),
        Duration::from_millis(500),
    );
    let expected = ok_answer(&password);
    assert!(
        expected.len() > MAX_FILE_BYTES,
        "the answer overflows the pipe"
    );
    out.answered(&expected);
}

#[test]
fn a_non_blocking_stdin_pipe_is_waited_for_not_refused() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    let s = Scratch::new("nonblock-in");
    s.cred(FILE, "user", PASSWORD);
    let log = LogSocket::bind(&s);
    // The request comes later than the plugin's first read: EAGAIN.
    let out = launch(
        &mut launcher("os.set_blocking(0, False)", &plugin_args(&s, &log)),
        Stdin::Write(request(IMAGE).into_bytes(), Duration::from_millis(300)),
        Duration::ZERO,
    );
    out.answered(&ok_answer(PASSWORD));
}

// --- Smaller ones (18.5) ---

#[test]
fn a_terminal_on_stdin_is_refused_at_once() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    let s = Scratch::new("tty");
    s.cred(FILE, "user", PASSWORD);
    let log = LogSocket::bind(&s);
    // The master stays open in the plugin, so a read of the terminal would
    // wait for a person for ever.
    let prelude = "import pty\nm, t = pty.openpty()\nos.set_inheritable(m, True)\nos.dup2(t, 0)";
    let out = launch(
        &mut launcher(prelude, &plugin_args(&s, &log)),
        Stdin::HoldOpen,
        Duration::ZERO,
    );
    println!("a terminal on stdin: refused after {:?}", out.elapsed);
    out.refused_with(
        "stdin is a terminal; the kubelet writes the request to a pipe (try: generic-credential-provider < request.json)",
    );
}

#[test]
fn a_usage_error_cuts_a_long_argument_short() {
    let flag = format!("--{}", "x".repeat(120_000 - 2));
    let out = run(&[&flag], b"");
    let kept = &flag[..64];
    let expected =
        format!("generic-credential-provider: unknown option \"{kept}...\"; see --help\n");
    assert!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()) == (2, "", expected.as_str()),
        "exit {}, stdout {}, stderr {}",
        out.code,
        cut(&out.stdout),
        cut(&out.stderr)
    );
    assert!(
        out.stderr.len() < 300,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

#[test]
fn a_double_quote_in_a_quoted_image_is_escaped_in_stderr_and_syslog() {
    let s = Scratch::new("quote");
    s.cred(FILE, "user", PASSWORD);
    let log = LogSocket::bind(&s);
    // The image `registry.example.org/a"b c`, as JSON.
    let out = run(
        &plugin_args(&s, &log),
        request(r#"registry.example.org/a\"b c"#).as_bytes(),
    );
    let quoted = r#"image "registry.example.org/a\"b c""#;
    assert_eq!(
        out.refused(),
        format!("invalid {quoted}: invalid reference format")
    );
    log.one_err(&format!(
        "Failed to fulfill credential request for {quoted}: invalid {quoted}: invalid reference format"
    ));
}

#[test]
fn an_unknown_key_is_named_by_position_and_length_never_quoted() {
    let s = Scratch::new("unknown-key");
    let path = s.file(
        FILE,
        r#"{"username":"u","password":"p","robot$pull":"s3cr3t-key"}"#,
        0o600,
    );
    let log = LogSocket::bind(&s);
    let out = run(&plugin_args(&s, &log), request(IMAGE).as_bytes());
    let reason = format!(
        "{} has an unknown key (key 3, 10 bytes, not shown: it may be content); the keys are username, password and duration",
        path.display()
    );
    assert_eq!(out.refused(), reason);
    let lines = log.lines();
    assert_eq!(
        lines,
        [(
            PRI_ERR.to_owned(),
            format!("Failed to fulfill credential request for {HOST}: {reason}")
        )]
    );
    for secret in ["s3cr3t-key", "robot$pull", "robot"] {
        out.never_shows(secret);
        assert!(!lines[0].1.contains(secret), "{secret} in the log line");
    }

    // A near miss of a known key is quoted: it is a typo, not content.
    s.file(FILE, r#"{"username":"u","pasword":"p"}"#, 0o600);
    let out = run(&plugin_args(&s, &log), request(IMAGE).as_bytes());
    assert_eq!(
        out.refused(),
        format!(
            "{} has an unknown key \"pasword\" (did you mean \"password\"?); the keys are username, password and duration",
            path.display()
        )
    );
}

// --- The panic handler (issue 13, 18.5) ---

/// Files in a tree whose audit needs more than the 2 MiB static arena.
const PANIC_TREE_FILES: usize = 1000;
/// Address space granted above what the idle process maps: less than the
/// 1 MiB the arena's next chunk asks for, more than the stack grows.
const PANIC_AS_MARGIN_BYTES: u64 = 512 * 1024;

/// `VmPeak` of the plugin idling on its stdin, in bytes: what exec, the
/// loader and the static arena map before any allocation grows.
fn idle_address_space() -> u64 {
    let mut child = Command::new(bin())
        .args(["--credroot", "/nonexistent", "--log-socket", "/nonexistent"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let start = Instant::now();
    let peak = loop {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .unwrap_or("")
                .to_owned()
        };
        // Past exec (its own argv) and asleep in read(2).
        if cmdline.ends_with(b"/nonexistent\0") && field("State:").starts_with('S') {
            let kb: u64 = field("VmPeak:").trim_end_matches(" kB").parse().unwrap();
            break kb * 1024;
        }
        assert!(
            start.elapsed() < DEADLINE,
            "the plugin never waited on stdin"
        );
        thread::sleep(Duration::from_millis(2));
    };
    drop(child.stdin.take());
    child.wait().unwrap();
    peak
}

#[test]
fn an_allocation_failure_prints_the_fixed_line_and_aborts_without_a_core() {
    // Started through python (descriptors, pipes, a pty, seccomp): the
    // binary itself, not qemu-user standing in for it.
    require!(Need::NativeBinary);
    let s = Scratch::new("panic");
    for i in 0..PANIC_TREE_FILES {
        let host = format!("h{i:04}.{}.{}.example.org", "a".repeat(60), "b".repeat(60));
        s.cred(&format!("{host}.json"), "user", PASSWORD);
    }
    let limit = idle_address_space() + PANIC_AS_MARGIN_BYTES;
    // A core limit the hardening must lower, and a working directory where
    // the kernel would put a core file (core_pattern "core").
    let limits = format!(
        "import resource\n\
         resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n\
         resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))"
    );
    let crash = |prelude: &str, cwd: &Path| {
        fs::create_dir_all(cwd).unwrap();
        let mut cmd = launcher(prelude, &["check", "--credroot", s.root_str()]);
        cmd.current_dir(cwd);
        let out = launch(
            &mut cmd,
            Stdin::Write(Vec::new(), Duration::ZERO),
            Duration::ZERO,
        );
        let cores: Vec<String> = fs::read_dir(cwd)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("core"))
            .collect();
        (out, cores)
    };
    let (out, cores) = crash(&limits, &s.dir.join("hardened"));
    println!(
        "allocation failure: RLIMIT_AS {limit} bytes, {PANIC_TREE_FILES} files: exit {:?}, signal {:?}",
        out.code, out.signal
    );
    const SIGABRT: i32 = 6;
    assert_eq!(
        (out.signal, out.stdout(), out.stderr.as_str()),
        (
            Some(SIGABRT),
            "",
            "generic-credential-provider: internal error; nothing was answered\n"
        ),
        "no size, no password, no location: one fixed line"
    );
    assert_eq!(cores, Vec::<String>::new(), "core files written");

    // The control: the same crash with the hardening defeated (check only
    // warns) shows whether this machine writes core files at all, that is,
    // whether the assertion above could have failed.
    if std::env::consts::ARCH == "x86_64" {
        let mut rules = vec![deny(NR_PRCTL, EPERM)];
        rules.extend(rlimit_rules(EPERM));
        let (out, cores) = crash(
            &seccomp_prelude_after(&rules, &limits),
            &s.dir.join("defeated"),
        );
        assert_eq!(out.signal, Some(SIGABRT), "{out:?}");
        println!(
            "control, hardening defeated by seccomp: core files written: {cores:?} ({})",
            fs::read_to_string("/proc/sys/kernel/core_pattern")
                .unwrap_or_default()
                .trim()
        );
    }
}

//! Syslog straight to a socket (issue 5): the raw datagrams, then what a real
//! rsyslogd parses from them, then a missing socket changing nothing.

use crate::util::*;
use std::fs;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const PASSWORD: &str = "syslog-pw-3e8b1f";

/// Runs the plugin with `extra` flags and a datagram socket bound by the
/// test; returns the run and every datagram received.
fn run_logged(s: &Scratch, extra: &[&str], stdin: &str) -> (Run, Vec<String>) {
    let sock_path = s.dir.join("log.sock");
    let _ = fs::remove_file(&sock_path);
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut args = vec![
        "--credroot",
        s.root_str(),
        "--log-socket",
        sock_path.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = run(&args, stdin.as_bytes());
    let mut lines = Vec::new();
    let mut buf = vec![0u8; 65536];
    while let Ok(n) = sock.recv(&mut buf) {
        lines.push(String::from_utf8(buf[..n].to_vec()).expect("a datagram is ASCII"));
    }
    (out, lines)
}

/// Checks `<PRI>Mmm dd hh:mm:ss generic-credential-provider[PID]: ` and
/// returns (PRI, message).
fn parse_header(line: &str) -> (u32, &str) {
    let rest = line.strip_prefix('<').unwrap();
    let (pri, rest) = rest.split_once('>').unwrap();
    let bytes = rest.as_bytes();
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    assert!(MONTHS.contains(&&rest[..3]), "month in {line:?}");
    assert_eq!(bytes[3], b' ');
    assert!(
        bytes[4] == b' ' || bytes[4].is_ascii_digit(),
        "space-padded day in {line:?}"
    );
    assert!(bytes[5].is_ascii_digit());
    assert_eq!(bytes[6], b' ');
    for (i, b) in rest[7..15].bytes().enumerate() {
        if i == 2 || i == 5 {
            assert_eq!(b, b':');
        } else {
            assert!(b.is_ascii_digit(), "time in {line:?}");
        }
    }
    let rest = rest[15..]
        .strip_prefix(" generic-credential-provider[")
        .unwrap();
    let (pid, message) = rest.split_once("]: ").unwrap();
    assert!(pid.parse::<u32>().is_ok(), "pid in {line:?}");
    (pri.parse().unwrap(), message)
}

#[test]
fn logs_the_three_events_with_their_severities_and_exact_header() {
    let s = Scratch::new("syslog-events");
    s.cred("registry.example.org.json", "user", PASSWORD);
    s.file(
        "broken.example.org.json",
        &format!(r#"{{"username":"u","password":"{PASSWORD}","duration":"1d"}}"#),
        0o600,
    );

    let (out, lines) = run_logged(&s, &[], &request("registry.example.org/app"));
    assert_eq!(out.code, 0);
    assert_eq!(lines.len(), 1);
    assert_eq!(
        parse_header(&lines[0]),
        (
            86,
            "Credential request fulfilled for registry.example.org (image registry.example.org/app, file registry.example.org.json)"
        )
    );

    let (out, lines) = run_logged(&s, &[], &request("other.example.org:5000/app"));
    assert_eq!(out.code, 0);
    assert_eq!(
        parse_header(&lines[0]),
        (
            85,
            "Failed to fulfill credential request for other.example.org:5000 (image other.example.org:5000/app): no credential file"
        )
    );

    let (out, lines) = run_logged(&s, &[], &request("broken.example.org/app"));
    out.refused();
    let (pri, message) = parse_header(&lines[0]);
    assert_eq!(pri, 83);
    let path = s.root.join("broken.example.org.json");
    assert_eq!(
        message,
        format!(
            "Failed to fulfill credential request for broken.example.org: {}: the value of \"duration\" has an unknown unit (use ns, us, ms, s, m or h; there is no d)",
            path.display()
        )
    );
    for line in &lines {
        assert!(!line.contains(PASSWORD));
    }
}

#[test]
fn pri_follows_the_facility() {
    let s = Scratch::new("syslog-facility");
    s.cred("registry.example.org.json", "user", PASSWORD);
    for (facility, info, err) in [
        ("user", 14, 11),
        ("daemon", 30, 27),
        ("auth", 38, 35),
        ("authpriv", 86, 83),
        ("local0", 134, 131),
        ("local7", 190, 187),
    ] {
        let (_, lines) = run_logged(
            &s,
            &["--log-facility", facility],
            &request("registry.example.org/app"),
        );
        assert_eq!(parse_header(&lines[0]).0, info, "{facility}");
        let (_, lines) = run_logged(&s, &["--log-facility", facility], "not json");
        assert_eq!(parse_header(&lines[0]).0, err, "{facility}");
    }
}

#[test]
fn escapes_a_hostile_image_and_bounds_every_line() {
    let s = Scratch::new("syslog-hostile");
    // A newline, ESC, U+202E and 3,000 bytes: refused as an invalid image.
    let hostile = format!(
        "evil\\n<13>Nov 30 00:00:00 forged: \\u001b[2J\\u202e{}",
        "x".repeat(3000)
    );
    let (out, lines) = run_logged(&s, &[], &request(&hostile));
    out.refused();
    let line = &lines[0];
    assert!(line.len() <= 1024);
    assert!(
        line.bytes().all(|b| (0x20..0x7f).contains(&b)),
        "only printable ASCII: {line:?}"
    );
    let (pri, message) = parse_header(line);
    assert_eq!(pri, 83);
    assert!(
        message.starts_with(
            "Failed to fulfill credential request for image \"evil\\n<13>Nov 30 00:00:00 forged: \\u{001B}[2J\\u{202E}xxxx"
        ),
        "{message}"
    );
    // A valid image whose domain alone is 3,000 bytes (no limit upstream)
    // gives a line cut at 1024 bytes, marked as cut.
    let long = format!("{}.example.org/app", "a".repeat(3000));
    let (out, lines) = run_logged(&s, &[], &request(&long));
    assert_eq!(out.code, 0);
    assert_eq!(lines[0].len(), 1024);
    assert!(lines[0].ends_with("aaa..."));
}

#[test]
fn a_missing_or_dead_socket_changes_neither_answer_nor_exit_code() {
    let s = Scratch::new("syslog-missing");
    s.cred("registry.example.org.json", "user", PASSWORD);
    let expected = Expect::registry("registry.example.org")
        .creds("user", PASSWORD)
        .json();
    let dead = s.dir.join("dead.sock");
    drop(UnixDatagram::bind(&dead).unwrap()); // a stale socket file, no listener
    let full = s.dir.join("full.sock");
    let _full = UnixDatagram::bind(&full).unwrap(); // never read: fills, must not block
    for sock in [s.dir.join("missing.sock"), dead, full.clone()] {
        for _ in 0..if sock == full { 300 } else { 1 } {
            let out = run(
                &[
                    "--credroot",
                    s.root_str(),
                    "--log-socket",
                    sock.to_str().unwrap(),
                ],
                request("registry.example.org/app").as_bytes(),
            );
            out.answered(&expected);
        }
        let out = run(
            &[
                "--credroot",
                s.root_str(),
                "--log-socket",
                sock.to_str().unwrap(),
            ],
            b"not json",
        );
        out.refused();
    }
}

/// A real rsyslogd on a socket of the test's own, writing what it parsed.
struct Rsyslogd {
    child: Child,
    socket: std::path::PathBuf,
    out: std::path::PathBuf,
}

impl Rsyslogd {
    fn start(dir: &Path) -> Option<Self> {
        let socket = dir.join("rsyslog.sock");
        let out = dir.join("parsed.log");
        let conf = dir.join("rsyslog.conf");
        fs::write(
            &conf,
            format!(
                r#"global(workDirectory="{dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="{socket}")
template(name="fields" type="string" string="%syslogfacility-text%|%syslogseverity-text%|%programname%|%procid%|%msg:2:$%\n")
*.* action(type="omfile" file="{out}" template="fields")
"#,
                dir = dir.display(),
                socket = socket.display(),
                out = out.display()
            ),
        )
        .unwrap();
        let child = Command::new("rsyslogd")
            .args([
                "-n",
                "-f",
                conf.to_str().unwrap(),
                "-i",
                dir.join("rsyslogd.pid").to_str().unwrap(),
            ])
            .spawn()
            .unwrap();
        let start = Instant::now();
        while !socket.exists() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "rsyslogd did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self { child, socket, out })
    }

    /// Waits until `n` lines were written, and returns them.
    fn lines(&self, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let text = fs::read_to_string(&self.out).unwrap_or_default();
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.len() >= n {
                return lines;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "rsyslogd wrote {lines:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Rsyslogd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_real_rsyslogd_parses_facility_severity_program_pid_and_message() {
    require!(Need::Tool("rsyslogd"));
    let s = Scratch::new("rsyslog");
    let Some(daemon) = Rsyslogd::start(&s.dir) else {
        return;
    };
    s.cred("registry.example.org.json", "user", PASSWORD);
    s.file(
        "broken.example.org.json",
        &format!(r#"{{"username":"u","password":"{PASSWORD}","pasword":"x"}}"#),
        0o600,
    );
    let sock = daemon.socket.to_str().unwrap().to_owned();
    let args = ["--credroot", s.root_str(), "--log-socket", &sock];
    let mut pids = Vec::new();
    for image in [
        "registry.example.org/app",
        "missing.example.org/app",
        "broken.example.org/app",
    ] {
        let child = command()
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        pids.push(child.id());
        let mut child = child;
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(request(image).as_bytes())
            .unwrap();
        child.wait_with_output().unwrap();
    }
    let lines = daemon.lines(3);
    let path = s.root.join("broken.example.org.json");
    assert_eq!(
        lines,
        [
            format!(
                "authpriv|info|generic-credential-provider|{}|Credential request fulfilled for registry.example.org (image registry.example.org/app, file registry.example.org.json)",
                pids[0]
            ),
            format!(
                "authpriv|notice|generic-credential-provider|{}|Failed to fulfill credential request for missing.example.org (image missing.example.org/app): no credential file",
                pids[1]
            ),
            format!(
                "authpriv|err|generic-credential-provider|{}|Failed to fulfill credential request for broken.example.org: {} has an unknown key \"pasword\" (did you mean \"password\"?); the keys are username, password and duration",
                pids[2],
                path.display()
            ),
        ]
    );
    let all = fs::read_to_string(&daemon.out).unwrap();
    assert!(!all.contains(PASSWORD));
}

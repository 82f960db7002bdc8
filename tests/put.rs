//! `put` and `import` (issue 15): credential files written atomically
//! through the checked directories, never a secret on the command line or
//! any output, and a pull running during a rotation sees the old credential
//! or the new one, never a refusal or a torn value.

use crate::util::*;
use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

const PROGRAM: &str = "generic-credential-provider: ";
const PASSWORD: &str = "put-pw-3f9c1a";

/// `put` with these arguments after `--credroot ROOT`.
fn put(s: &Scratch, args: &[&str], stdin: &str) -> Run {
    let mut all = vec!["put", "--credroot", s.root_str()];
    all.extend(args);
    let out = run(&all, stdin.as_bytes());
    out.never_shows(PASSWORD);
    out
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

fn contents(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

/// Asserts a usage error: exit 2, nothing on stdout, exactly this message.
fn usage_error(out: &Run, message: &str) {
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (2, "", format!("{PROGRAM}{message}\n").as_str())
    );
}

/// Asserts a successful put: exit 0, no stderr, exactly the `wrote` line.
fn wrote(out: &Run, path: &Path, target: &str, scope: &str) {
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            format!("wrote {} (answers {target} for {scope})\n", path.display()).as_str(),
            ""
        )
    );
}

const EVERY_POD: &str = "every pod on the node";

#[test]
fn put_accepts_each_target_form_and_the_plugin_answers_from_it() {
    let s = Scratch::new("put-targets");
    for (target, file, image, answer) in [
        (
            "registry.example.org",
            "registry.example.org.json",
            "registry.example.org/app",
            Expect::registry("registry.example.org"),
        ),
        (
            "registry.example.org:5000",
            "registry.example.org:5000.json",
            "registry.example.org:5000/team/app",
            Expect::registry("registry.example.org:5000"),
        ),
        (
            "*.example.org",
            "*.example.org.json",
            "mirror.example.org/app",
            Expect::registry("mirror.example.org"),
        ),
        (
            "ghcr.io/acme",
            "ghcr.io/acme.json",
            "ghcr.io/acme/app",
            Expect::image("ghcr.io/acme/app"),
        ),
        (
            "ghcr.io/acme/team/deep",
            "ghcr.io/acme/team/deep.json",
            "ghcr.io/acme/team/deep/app",
            Expect::image("ghcr.io/acme/team/deep/app"),
        ),
    ] {
        let out = put(&s, &["--username", "u", target], &format!("{PASSWORD}\n"));
        let path = s.root.join(file);
        wrote(&out, &path, target, EVERY_POD);
        assert_eq!(mode(&path), 0o600, "{file}");
        assert_eq!(
            contents(&path),
            format!("{{\"username\":\"u\",\"password\":\"{PASSWORD}\"}}\n")
        );
        s.run(request(image).as_bytes())
            .answered(&answer.creds("u", PASSWORD).json());
    }
    // Every directory put created is private.
    for dir in ["ghcr.io", "ghcr.io/acme", "ghcr.io/acme/team"] {
        assert_eq!(mode(&s.root.join(dir)), 0o700, "{dir}");
    }
    assert_eq!(
        listing(&s.root),
        [
            "0600 f *.example.org.json",
            "0700 d ghcr.io",
            "0700 d ghcr.io/acme",
            "0600 f ghcr.io/acme.json",
            "0700 d ghcr.io/acme/team",
            "0600 f ghcr.io/acme/team/deep.json",
            "0600 f registry.example.org.json",
            "0600 f registry.example.org:5000.json",
        ]
    );
}

#[test]
fn put_writes_the_duration_and_escapes_what_json_must_escape() {
    let s = Scratch::new("put-duration");
    let path = s.root.join("registry.example.org.json");
    let out = put(
        &s,
        &[
            "--duration",
            "90m",
            "--username",
            "u",
            "registry.example.org",
        ],
        &format!("{PASSWORD}\n"),
    );
    wrote(&out, &path, "registry.example.org", EVERY_POD);
    assert_eq!(
        contents(&path),
        format!("{{\"username\":\"u\",\"password\":\"{PASSWORD}\",\"duration\":\"1h30m0s\"}}\n")
    );
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("u", PASSWORD)
                .duration("1h30m0s")
                .json(),
        );
    // A CRLF line ending is dropped too; quotes and backslashes are escaped
    // as JSON needs, non-ASCII stays UTF-8, and the plugin answers the same.
    let out = put(
        &s,
        &["--username", "bot\"1", "registry.example.org"],
        "p\"w\\é\r\n",
    );
    wrote(&out, &path, "registry.example.org", EVERY_POD);
    assert_eq!(
        contents(&path),
        "{\"username\":\"bot\\\"1\",\"password\":\"p\\\"w\\\\é\"}\n"
    );
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds(r#"bot\"1"#, r#"p\"w\\é"#)
                .json(),
        );
}

#[test]
fn put_writes_namespace_and_service_account_trees() {
    let s = Scratch::new("put-scopes");
    s.cred("registry.example.org.json", "root-user", "root-pw-1a2b3c");
    let ns_file = s.root.join("namespaces/team-a/registry.example.org.json");
    let out = put(
        &s,
        &[
            "--namespace",
            "team-a",
            "--username",
            "a",
            "registry.example.org",
        ],
        &format!("{PASSWORD}-a\n"),
    );
    wrote(
        &out,
        &ns_file,
        "registry.example.org",
        "pods in namespace team-a",
    );
    let sa_file = s
        .root
        .join("namespaces/team-a/serviceaccounts/builder/ghcr.io/acme.json");
    let out = put(
        &s,
        &[
            "--namespace",
            "team-a",
            "--service-account",
            "builder",
            "--username",
            "b",
            "ghcr.io/acme",
        ],
        &format!("{PASSWORD}-b\n"),
    );
    wrote(
        &out,
        &sa_file,
        "ghcr.io/acme",
        "pods of service account builder in namespace team-a",
    );
    assert_eq!(
        listing(&s.root),
        [
            "0700 d namespaces",
            "0700 d namespaces/team-a",
            "0600 f namespaces/team-a/registry.example.org.json",
            "0700 d namespaces/team-a/serviceaccounts",
            "0700 d namespaces/team-a/serviceaccounts/builder",
            "0700 d namespaces/team-a/serviceaccounts/builder/ghcr.io",
            "0600 f namespaces/team-a/serviceaccounts/builder/ghcr.io/acme.json",
            "0600 f registry.example.org.json",
        ]
    );
    assert_eq!(
        contents(&sa_file),
        format!("{{\"username\":\"b\",\"password\":\"{PASSWORD}-b\"}}\n")
    );
    // The plugin answers each pod from its own tree.
    let a = format!("{PASSWORD}-a");
    let b = format!("{PASSWORD}-b");
    s.run(request_with_token("registry.example.org/app", &jwt("team-a", "default")).as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("a", &a)
                .json(),
        );
    s.run(request_with_token("ghcr.io/acme/app", &jwt("team-a", "builder")).as_bytes())
        .answered(&Expect::image("ghcr.io/acme/app").creds("b", &b).json());
    s.run(request_with_token("ghcr.io/acme/app", &jwt("team-a", "default")).as_bytes())
        .answered(&no_credentials());
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("root-user", "root-pw-1a2b3c")
                .json(),
        );
}

#[test]
fn put_with_json_writes_the_object_it_is_given() {
    let s = Scratch::new("put-json");
    let path = s.root.join("registry.example.org.json");
    let out = put(
        &s,
        &["--json", "registry.example.org"],
        &format!(r#"{{"username":"j","password":"{PASSWORD}","duration":"1h"}}"#),
    );
    wrote(&out, &path, "registry.example.org", EVERY_POD);
    assert_eq!(
        contents(&path),
        format!("{{\"username\":\"j\",\"password\":\"{PASSWORD}\",\"duration\":\"1h0m0s\"}}\n")
    );
    assert_eq!(mode(&path), 0o600);
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("j", PASSWORD)
                .duration("1h0m0s")
                .json(),
        );
}

/// What a refused `put` must leave: the tree exactly as it was (no
/// temporary file), the old file's bytes unchanged.
struct Before {
    listing: Vec<String>,
    old: String,
}

fn before(s: &Scratch) -> Before {
    Before {
        listing: listing(&s.dir),
        old: contents(&s.root.join("registry.example.org.json")),
    }
}

impl Before {
    fn unchanged(&self, s: &Scratch, what: &str) {
        assert_eq!(listing(&s.dir), self.listing, "{what}: the tree changed");
        assert_eq!(
            contents(&s.root.join("registry.example.org.json")),
            self.old,
            "{what}: the old file changed"
        );
    }
}

/// A root holding a good file for registry.example.org.
fn with_old_file(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.cred("registry.example.org.json", "old-user", "old-pw-5d4c3b");
    s
}

#[test]
fn put_refuses_an_unsafe_root_and_writes_nothing() {
    let s = with_old_file("put-unsafe-root");
    for (dir, m) in [(s.root.clone(), 0o770), (s.dir.clone(), 0o702)] {
        fs::set_permissions(&dir, fs::Permissions::from_mode(m)).unwrap();
        let was = before(&s);
        let out = put(
            &s,
            &["--username", "u", "registry.example.org"],
            &format!("{PASSWORD}\n"),
        );
        let p = dir.display();
        assert_eq!(
            out.refused(),
            format!(
                "directory {p} is writable by group or others (mode {m:04o}); run chmod go-w {p}"
            )
        );
        was.unchanged(&s, "unsafe root");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    }
    // A root that does not exist is not created.
    let missing = s.dir.join("missing");
    let out = run(
        &[
            "put",
            "--credroot",
            missing.to_str().unwrap(),
            "--username",
            "u",
            "registry.example.org",
        ],
        format!("{PASSWORD}\n").as_bytes(),
    );
    assert_eq!(
        out.refused(),
        format!(
            "cannot open {}: No such file or directory",
            missing.display()
        )
    );
    assert!(!missing.exists());
}

#[test]
fn put_refuses_a_target_name_that_is_no_regular_file() {
    let s = with_old_file("put-not-regular");
    let outside = s.dir.join("outside.json");
    fs::write(&outside, "outside, untouched").unwrap();
    symlink(&outside, s.root.join("link.example.org.json")).unwrap();
    let fifo = s.root.join("fifo.example.org.json");
    assert!(
        std::process::Command::new("mkfifo")
            .args(["-m", "600"])
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    fs::create_dir(s.root.join("dir.example.org.json")).unwrap();
    fs::set_permissions(
        s.root.join("dir.example.org.json"),
        fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    for (target, kind) in [
        ("link.example.org", "a symbolic link"),
        ("fifo.example.org", "a FIFO"),
        ("dir.example.org", "a directory"),
    ] {
        let was = before(&s);
        let out = put(&s, &["--username", "u", target], &format!("{PASSWORD}\n"));
        let p = s.root.join(format!("{target}.json"));
        assert_eq!(
            out.refused(),
            format!(
                "{} is {kind}; credential files must be regular files",
                p.display()
            ),
            "{target}"
        );
        was.unchanged(&s, target);
    }
    assert_eq!(contents(&outside), "outside, untouched");
    assert_eq!(
        fs::read_link(s.root.join("link.example.org.json")).unwrap(),
        outside
    );
    // A symbolic link on the way to the target is refused as well.
    let elsewhere = s.dir.join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
    symlink(&elsewhere, s.root.join("ghcr.io")).unwrap();
    let was = before(&s);
    let out = put(
        &s,
        &["--username", "u", "ghcr.io/acme"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(
        out.refused(),
        format!(
            "{} is a symbolic link; the credential root and every directory on the way to it must be real directories",
            s.root.join("ghcr.io").display()
        )
    );
    was.unchanged(&s, "symlinked directory");
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
}

#[test]
fn put_refuses_invalid_targets_durations_and_flags_with_usage_errors() {
    let s = with_old_file("put-usage");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--username", "u", "https://x"],
            "TARGET \"https://x\": the key is not host[:port] (DNS labels or [IPv6], then optionally ':' and digits) or *.<parent>; see --help",
        ),
        (
            &["--username", "u", "Index.docker.io"],
            "TARGET \"Index.docker.io\" is written differently from how lookup names it; use \"docker.io\"; see --help",
        ),
        (
            &["--username", "u", "index.docker.io"],
            "TARGET \"index.docker.io\" is written differently from how lookup names it; use \"docker.io\"; see --help",
        ),
        (
            &["--username", "u", "Registry.Example.org"],
            "TARGET \"Registry.Example.org\" is written differently from how lookup names it; use \"registry.example.org\"; see --help",
        ),
        (
            &["--username", "u", "a/../b"],
            "TARGET \"a/../b\": the key has no '.' or ':' and is not localhost, so no image name takes it as a registry; see --help",
        ),
        (
            &["--username", "u", "registry.example.org/a/../b"],
            "TARGET \"registry.example.org/a/../b\": the key has a repository path that is not lowercase components of [a-z0-9] joined by '.', '_', '__' or '-'; see --help",
        ),
        (
            &["--username", "u", "*.example.org/team"],
            "TARGET \"*.example.org/team\": the key is a wildcard with a path; a wildcard names a whole registry; see --help",
        ),
        (
            &[
                "--username",
                "u",
                "--duration",
                "1d",
                "registry.example.org",
            ],
            "--duration \"1d\" has an unknown unit (use ns, us, ms, s, m or h; there is no d); see --help",
        ),
        (
            &[
                "--username",
                "u",
                "--password",
                PASSWORD,
                "registry.example.org",
            ],
            "--password is refused: every user can read a process's arguments in /proc/<pid>/cmdline; pipe the password on stdin",
        ),
        (
            &[
                "--username",
                "u",
                &inline_password_flag(),
                "registry.example.org",
            ],
            "--password is refused: every user can read a process's arguments in /proc/<pid>/cmdline; pipe the password on stdin",
        ),
        (
            &["--json", "--username", "u", "registry.example.org"],
            "--json takes username, password and duration from stdin; drop --username and --duration; see --help",
        ),
        (
            &["registry.example.org"],
            "put needs --username NAME (the password comes on stdin) or --json; see --help",
        ),
        (
            &["--username", "u", "registry.example.org", "ghcr.io"],
            "put takes exactly one TARGET (registry.example.org, registry.example.org:5000, *.example.org or registry.example.org/team); see --help",
        ),
        (
            &[
                "--username",
                "u",
                "--service-account",
                "builder",
                "registry.example.org",
            ],
            "--service-account needs --namespace; see --help",
        ),
        (
            &[
                "--username",
                "u",
                "--namespace",
                "../x",
                "registry.example.org",
            ],
            "--namespace \"../x\" is not a Kubernetes namespace name (a DNS-1123 label: lowercase letters, digits and -, at most 63); see --help",
        ),
    ];
    for (args, message) in cases {
        let was = before(&s);
        let out = put(&s, args, &format!("{PASSWORD}\n"));
        usage_error(&out, message);
        was.unchanged(&s, message);
    }
}

/// `--password=<secret>`, the inline form.
fn inline_password_flag() -> String {
    format!("--password={PASSWORD}")
}

#[test]
fn put_refuses_stdin_that_is_not_one_password_line() {
    let s = with_old_file("put-stdin");
    for (stdin, message) in [
        (
            format!("{PASSWORD}\nsecond line\n"),
            "the password on stdin must be one line (use --json for a credential object)",
        ),
        (
            String::new(),
            "nothing on stdin; pipe the password (one line) or, with --json, the credential object",
        ),
    ] {
        let was = before(&s);
        let out = put(&s, &["--username", "u", "registry.example.org"], &stdin);
        assert_eq!(out.refused(), message);
        was.unchanged(&s, message);
    }
    // Bytes that are not UTF-8 cannot be a JSON string.
    let was = before(&s);
    let out = run(
        &[
            "put",
            "--credroot",
            s.root_str(),
            "--username",
            "u",
            "registry.example.org",
        ],
        b"pw\xff\n",
    );
    assert_eq!(out.refused(), "the password on stdin is not UTF-8");
    was.unchanged(&s, "not UTF-8");
}

#[test]
fn put_refuses_a_terminal_on_stdin() {
    require!(Need::Tool("python3"));
    let s = with_old_file("put-tty");
    // python3 gives the binary a pseudo-terminal as stdin and relays the rest.
    const RELAY: &str = "import os, pty, subprocess, sys\n\
        master, slave = pty.openpty()\n\
        p = subprocess.run(sys.argv[1:], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n\
        sys.stdout.buffer.write(p.stdout)\n\
        sys.stderr.buffer.write(p.stderr)\n\
        sys.exit(p.returncode)\n";
    let mut command = std::process::Command::new("python3");
    command.args(["-c", RELAY]);
    if let Some(runner) = runner() {
        command.arg(runner);
    }
    command.arg(bin()).args([
        "put",
        "--credroot",
        s.root_str(),
        "--username",
        "u",
        "registry.example.org",
    ]);
    let was = before(&s);
    let out = command.stdin(Stdio::null()).output().unwrap();
    let out = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert_eq!(
        out.refused(),
        "stdin is a terminal, where a password would be echoed; pipe it: printf '%s\\n' \"$PASSWORD\" | generic-credential-provider put ..."
    );
    was.unchanged(&s, "terminal");
}

#[test]
fn put_with_json_refuses_an_object_the_plugin_would_refuse_without_quoting_it() {
    let s = with_old_file("put-json-bad");
    let secret_key = "sEcReTkEyTeXt";
    for (stdin, message) in [
        (
            format!(r#"{{"username":"j","password":"{PASSWORD}","{secret_key}":"x"}}"#),
            "the credential object on stdin has an unknown key (key 3, 13 bytes, not shown: it may be content); the keys are username, password and duration".to_owned(),
        ),
        (
            format!(r#"{{"username":"j","pasword":"{PASSWORD}"}}"#),
            r#"the credential object on stdin has an unknown key "pasword" (did you mean "password"?); the keys are username, password and duration"#.to_owned(),
        ),
        (
            r#"{"username":"j"}"#.to_owned(),
            r#"the credential object on stdin has no key "password""#.to_owned(),
        ),
        (
            format!(r#"{{"username":"j","password":"{PASSWORD}","duration":"1d"}}"#),
            r#"the credential object on stdin: the value of "duration" has an unknown unit (use ns, us, ms, s, m or h; there is no d)"#.to_owned(),
        ),
        (
            format!(r#"{{"username":"j","password":"{PASSWORD}""#),
            "the credential object on stdin is not valid JSON".to_owned(),
        ),
        (
            format!(r#"["j","{PASSWORD}"]"#),
            "the credential object on stdin must hold one JSON object".to_owned(),
        ),
    ] {
        let was = before(&s);
        let out = put(&s, &["--json", "registry.example.org"], &stdin);
        assert_eq!(out.refused(), message);
        out.never_shows(secret_key);
        was.unchanged(&s, &message);
    }
}

#[test]
fn put_refuses_a_credential_whose_file_would_exceed_the_size_limit() {
    let s = with_old_file("put-too-large");
    for password in ["a".repeat(65_530), "\u{1}".repeat(20_000)] {
        let was = before(&s);
        let out = put(
            &s,
            &["--username", "u", "registry.example.org"],
            &format!("{password}\n"),
        );
        assert!(
            out.code == 1 && out.stdout.is_empty() && out.stderr.contains("65536"),
            "put must refuse a file the plugin would refuse: exit {}, stderr {:?}",
            out.code,
            out.stderr
        );
        was.unchanged(&s, "too large");
        s.run(request("registry.example.org/app").as_bytes())
            .answered(
                &Expect::registry("registry.example.org")
                    .creds("old-user", "old-pw-5d4c3b")
                    .json(),
            );
    }
}

/// Two passwords of different lengths, so that a torn read cannot pass for
/// either one.
fn rotation_passwords() -> (String, String) {
    let short = "short-pw-0123456789a".to_owned();
    let long: String = (0..3000)
        .map(|i| {
            char::from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"[i % 62])
        })
        .collect();
    assert_eq!((short.len(), long.len()), (20, 3000));
    (short, long)
}

/// What the pulls saw during a rotation.
struct Rotation {
    short_answers: usize,
    long_answers: usize,
    refused: Vec<Run>,
    torn: Vec<Run>,
}

/// 500 pulls, 8 at a time, while `put` rewrites the file 200 times,
/// alternating a 20-byte and a 3000-byte password; the writes are spread
/// over the whole run of pulls. Prints the counts.
fn rotate(s: &Arc<Scratch>) -> Rotation {
    const REQUESTS: usize = 500;
    const PUTS: usize = 200;
    const WORKERS: usize = 8;
    let (short, long) = rotation_passwords();
    s.cred("registry.example.org.json", "rot-user", &short);
    let expect = |pw: &str| {
        format!(
            "{}\n",
            Expect::registry("registry.example.org")
                .creds("rot-user", pw)
                .json()
        )
    };
    let (answer_short, answer_long) = (expect(&short), expect(&long));
    let started = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let writing = Arc::new(AtomicBool::new(true));
    let during = Arc::new(AtomicUsize::new(0));
    let putter = {
        let (s, done, writing) = (s.clone(), done.clone(), writing.clone());
        let (short, long) = (short.clone(), long.clone());
        std::thread::spawn(move || {
            let path = s.root.join("registry.example.org.json");
            for i in 0..PUTS {
                while done.load(Ordering::SeqCst) < i * REQUESTS / PUTS {
                    std::thread::sleep(std::time::Duration::from_millis(1));
                }
                let pw = if i % 2 == 0 { &long } else { &short };
                let out = run(
                    &[
                        "put",
                        "--credroot",
                        s.root_str(),
                        "--username",
                        "rot-user",
                        "registry.example.org",
                    ],
                    format!("{pw}\n").as_bytes(),
                );
                wrote(&out, &path, "registry.example.org", EVERY_POD);
            }
            writing.store(false, Ordering::SeqCst);
        })
    };
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (s, next, done, writing, during) = (
                s.clone(),
                next.clone(),
                done.clone(),
                writing.clone(),
                during.clone(),
            );
            let (answer_short, answer_long) = (answer_short.clone(), answer_long.clone());
            std::thread::spawn(move || {
                let mut seen = Rotation {
                    short_answers: 0,
                    long_answers: 0,
                    refused: Vec::new(),
                    torn: Vec::new(),
                };
                while next.fetch_add(1, Ordering::SeqCst) < REQUESTS {
                    if writing.load(Ordering::SeqCst) {
                        during.fetch_add(1, Ordering::SeqCst);
                    }
                    let out = s.run(request("registry.example.org/app").as_bytes());
                    match (out.code, out.stdout.as_str()) {
                        (0, a) if a == answer_short && out.stderr.is_empty() => {
                            seen.short_answers += 1;
                        }
                        (0, a) if a == answer_long && out.stderr.is_empty() => {
                            seen.long_answers += 1;
                        }
                        (0, _) => seen.torn.push(out),
                        _ => seen.refused.push(out),
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
                seen
            })
        })
        .collect();
    let mut all = Rotation {
        short_answers: 0,
        long_answers: 0,
        refused: Vec::new(),
        torn: Vec::new(),
    };
    for worker in workers {
        let seen = worker.join().unwrap();
        all.short_answers += seen.short_answers;
        all.long_answers += seen.long_answers;
        all.refused.extend(seen.refused);
        all.torn.extend(seen.torn);
    }
    putter.join().unwrap();
    println!(
        "rotation: {REQUESTS} requests ({WORKERS} at a time) during {PUTS} puts: {} answered the 20-byte password, {} the 3000-byte one, {} refused, {} torn; {} requests started while put was writing; {:.1} s",
        all.short_answers,
        all.long_answers,
        all.refused.len(),
        all.torn.len(),
        during.load(Ordering::SeqCst),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        all.short_answers + all.long_answers + all.refused.len() + all.torn.len(),
        REQUESTS
    );
    // The rotation leaves nothing behind but the file itself.
    assert_eq!(listing(&s.root), ["0600 f registry.example.org.json"]);
    all
}

#[test]
fn rotation_under_load_never_refuses_and_never_tears_a_value() {
    let s = Arc::new(Scratch::new("put-rotation"));
    let seen = rotate(&s);
    println!(
        "rotation: {} short, {} long, {} refused, {} torn",
        seen.short_answers,
        seen.long_answers,
        seen.refused.len(),
        seen.torn.len()
    );
    assert!(
        seen.torn.is_empty(),
        "torn answers: {:?}",
        seen.torn.first()
    );
    assert!(
        seen.short_answers > 0 && seen.long_answers > 0,
        "both passwords must be seen"
    );
    assert!(
        seen.refused.is_empty(),
        "refusals: {:?}",
        seen.refused.first()
    );
}

#[test]
fn a_pull_reading_while_put_renames_over_the_file_gets_the_old_or_the_new_credential() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    let s = Scratch::new("put-race");
    s.cred("registry.example.org.json", "u", "old-pw-8c2e4a");
    let password_file = s.dir.join("new-password");
    fs::write(&password_file, "new-pw-1b3d5f\n").unwrap();
    // At the entry of the plugin's first pread of the credential file, gdb
    // runs put to completion; then the plugin goes on reading the old inode.
    let script = s.dir.join("race.gdb");
    fs::write(
        &script,
        format!(
            r#"set pagination off
python
import os, subprocess
raced = False
end
catch syscall pread64
commands 1
  silent
  python
pid = gdb.selected_inferior().pid
fd = int(gdb.parse_and_eval("$rdi"))
if not raced and os.readlink("/proc/%d/fd/%d" % (pid, fd)).endswith("/registry.example.org.json"):
    raced = True
    subprocess.run(["{bin}", "put", "--credroot", "{root}", "--username", "u", "registry.example.org"], stdin=open("{pw}"), check=True, stdout=subprocess.DEVNULL)
  end
  continue
end
run --credroot {root} --log-socket {dir}/no-syslog < {dir}/request > {dir}/stdout 2> {dir}/stderr
"#,
            bin = bin(),
            root = s.root.display(),
            pw = password_file.display(),
            dir = s.dir.display(),
        ),
    )
    .unwrap();
    fs::write(s.dir.join("request"), request("registry.example.org/app")).unwrap();
    let gdb = std::process::Command::new("gdb")
        .args(["-batch", "-nx", "-x"])
        .arg(&script)
        .arg(bin())
        .output()
        .unwrap();
    assert!(gdb.status.success(), "{gdb:?}");
    assert_eq!(
        contents(&s.root.join("registry.example.org.json")),
        "{\"username\":\"u\",\"password\":\"new-pw-1b3d5f\"}\n",
        "put ran during the read"
    );
    let stdout = fs::read_to_string(s.dir.join("stdout")).unwrap();
    let stderr = fs::read_to_string(s.dir.join("stderr")).unwrap();
    let old = Expect::registry("registry.example.org")
        .creds("u", "old-pw-8c2e4a")
        .json();
    let new = Expect::registry("registry.example.org")
        .creds("u", "new-pw-1b3d5f")
        .json();
    assert!(
        stderr.is_empty() && (stdout == format!("{old}\n") || stdout == format!("{new}\n")),
        "stdout {stdout:?}, stderr {stderr:?}"
    );
}

/// A Docker `config.json` as `docker login` and hand edits leave it.
struct DockerConfig {
    json: String,
    secrets: Vec<String>,
}

fn base64(bytes: &[u8]) -> String {
    const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(STD[(acc >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn realistic_config() -> DockerConfig {
    let hub = base64(b"hubuser:hub-pw-7e1d0c");
    let acme = base64(b"acme-bot:ghp_acme-pw-4b8f2e");
    let acr = base64(b"00000000-0000-0000-0000-000000000000:");
    let json = format!(
        r#"{{
	"auths": {{
		"https://index.docker.io/v1/": {{"auth": "{hub}"}},
		"index.docker.io": {{"auth": "{hub}"}},
		"docker.io": {{"auth": "{hub}"}},
		"registry.example.org:5000": {{"username": "deploy", "password": "port-pw-9a6c3d", "email": "ops@example.org"}},
		"ghcr.io/acme": {{"auth": "{acme}"}},
		"myregistry.azurecr.io": {{"auth": "{acr}", "identitytoken": "eyJhbGciOiJSUzI1NiJ9.refresh-token-5c7e9a.sig"}}
	}},
	"credsStore": "desktop",
	"credHelpers": {{
		"gcr.io": "gcloud",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"
	}},
	"HttpHeaders": {{"User-Agent": "Docker-Client/24.0.7 (linux)"}}
}}"#
    );
    DockerConfig {
        json,
        secrets: vec![
            "hub-pw-7e1d0c".to_owned(),
            "ghp_acme-pw-4b8f2e".to_owned(),
            "port-pw-9a6c3d".to_owned(),
            "refresh-token-5c7e9a".to_owned(),
            hub,
            acme,
        ],
    }
}

fn import_report(s: &Scratch, verb: &str, summary_suffix: &str) -> String {
    let r = s.root.display();
    format!(
        r#"ok    "https://index.docker.io/v1/": {verb} {r}/docker.io.json (answers docker.io for every pod on the node)
note  "index.docker.io": the same target and credential as "https://index.docker.io/v1/", which is imported
note  "docker.io": the same target and credential as "https://index.docker.io/v1/", which is imported
ok    "registry.example.org:5000": {verb} {r}/registry.example.org:5000.json (answers registry.example.org:5000 for every pod on the node)
ok    "ghcr.io/acme": {verb} {r}/ghcr.io/acme.json (answers ghcr.io/acme for every pod on the node)
FAIL  "myregistry.azurecr.io": not imported: the secret is an 'identitytoken', and the kubelet's provider API carries only a username and password
FAIL  credsStore: not imported: its secrets are in a credential store, not in this file; run docker login with a file store, or put each registry
FAIL  credHelpers "gcr.io": not imported: its secret is in a credential helper, not in this file; put it instead
FAIL  credHelpers "123456789012.dkr.ecr.eu-west-1.amazonaws.com": not imported: its secret is in a credential helper, not in this file; put it instead
summary: 3 imported, 4 not imported{summary_suffix}
"#
    )
}

fn import(s: &Scratch, config: &DockerConfig, extra: &[&str]) -> Run {
    let path = s.dir.join("config.json");
    fs::write(&path, &config.json).unwrap();
    let mut args = vec![
        "import",
        "--credroot",
        s.root_str(),
        "--docker-config",
        path.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = run(&args, b"");
    for secret in &config.secrets {
        out.never_shows(secret);
    }
    out
}

#[test]
fn import_of_a_realistic_docker_config() {
    let s = Scratch::new("import");
    let config = realistic_config();
    let out = import(&s, &config, &[]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, import_report(&s, "wrote", "").as_str(), "")
    );
    assert_eq!(
        listing(&s.root),
        [
            "0600 f docker.io.json",
            "0700 d ghcr.io",
            "0600 f ghcr.io/acme.json",
            "0600 f registry.example.org:5000.json",
        ]
    );
    for (file, json) in [
        (
            "docker.io.json",
            r#"{"username":"hubuser","password":"hub-pw-7e1d0c"}"#,
        ),
        (
            "registry.example.org:5000.json",
            r#"{"username":"deploy","password":"port-pw-9a6c3d"}"#,
        ),
        (
            "ghcr.io/acme.json",
            r#"{"username":"acme-bot","password":"ghp_acme-pw-4b8f2e"}"#,
        ),
    ] {
        assert_eq!(contents(&s.root.join(file)), format!("{json}\n"), "{file}");
    }
    // The plugin answers every imported registry, Docker Hub under the name
    // the kubelet sends for it.
    for (image, answer) in [
        (
            "nginx",
            Expect::registry("docker.io").creds("hubuser", "hub-pw-7e1d0c"),
        ),
        (
            "registry.example.org:5000/team/app",
            Expect::registry("registry.example.org:5000").creds("deploy", "port-pw-9a6c3d"),
        ),
        (
            "ghcr.io/acme/app",
            Expect::image("ghcr.io/acme/app").creds("acme-bot", "ghp_acme-pw-4b8f2e"),
        ),
    ] {
        s.run(request(image).as_bytes()).answered(&answer.json());
    }
    s.run(request("myregistry.azurecr.io/app").as_bytes())
        .answered(&no_credentials());
}

#[test]
fn import_dry_run_writes_nothing_and_reports_the_same_targets() {
    let s = Scratch::new("import-dry");
    let config = realistic_config();
    let out = import(&s, &config, &["--dry-run"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            import_report(&s, "would write", " (dry run: nothing written)").as_str(),
            ""
        )
    );
    assert_eq!(listing(&s.root), Vec::<String>::new());
    // Into a namespace's tree, which is not created either.
    let out = import(&s, &config, &["--dry-run", "--namespace", "team-a"]);
    assert_eq!(out.code, 1);
    let r = s.root.display();
    assert!(
        out.stdout.starts_with(&format!(
            "ok    \"https://index.docker.io/v1/\": would write {r}/namespaces/team-a/docker.io.json (answers docker.io for pods in namespace team-a)\n"
        )),
        "{}",
        out.stdout
    );
    assert_eq!(listing(&s.root), Vec::<String>::new());
}

#[test]
fn import_into_a_service_account_tree_and_past_a_target_it_cannot_write() {
    let s = Scratch::new("import-scoped");
    let config = realistic_config();
    let tree = s.root.join("namespaces/team-a/serviceaccounts/builder");
    fs::create_dir_all(&tree).unwrap();
    for d in [
        "namespaces",
        "namespaces/team-a",
        "namespaces/team-a/serviceaccounts",
        "namespaces/team-a/serviceaccounts/builder",
    ] {
        fs::set_permissions(s.root.join(d), fs::Permissions::from_mode(0o700)).unwrap();
    }
    let outside = s.dir.join("outside.json");
    fs::write(&outside, "outside, untouched").unwrap();
    symlink(&outside, tree.join("registry.example.org:5000.json")).unwrap();
    let out = import(
        &s,
        &config,
        &["--namespace", "team-a", "--service-account", "builder"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "");
    let t = tree.display();
    let scope = "pods of service account builder in namespace team-a";
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[..5],
        [
            format!("ok    \"https://index.docker.io/v1/\": wrote {t}/docker.io.json (answers docker.io for {scope})"),
            "note  \"index.docker.io\": the same target and credential as \"https://index.docker.io/v1/\", which is imported".to_owned(),
            "note  \"docker.io\": the same target and credential as \"https://index.docker.io/v1/\", which is imported".to_owned(),
            format!("FAIL  \"registry.example.org:5000\": {t}/registry.example.org:5000.json is a symbolic link; credential files must be regular files"),
            format!("ok    \"ghcr.io/acme\": wrote {t}/ghcr.io/acme.json (answers ghcr.io/acme for {scope})"),
        ]
    );
    assert_eq!(
        lines.last().unwrap(),
        &"summary: 2 imported, 5 not imported"
    );
    assert_eq!(contents(&outside), "outside, untouched");
    assert_eq!(
        listing(&tree),
        [
            "0600 f docker.io.json",
            "0700 d ghcr.io",
            "0600 f ghcr.io/acme.json",
            "0777 l registry.example.org:5000.json",
        ]
    );
}

#[test]
fn no_password_in_a_core_taken_at_the_exit_of_put() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    const CORE_PASSWORD: &str = "put-core-pw-6d2a9f-unique";
    let s = Scratch::new("put-core");
    let args = [
        "put",
        "--credroot",
        s.root_str(),
        "--username",
        "core-user",
        "registry.example.org",
    ];
    let (core, stdout) = core_image_at(
        &s.dir,
        &args,
        &format!("{CORE_PASSWORD}\n"),
        "catch syscall exit_group",
        None,
    );
    assert_eq!(
        stdout,
        format!(
            "wrote {} (answers registry.example.org for every pod on the node)\n",
            s.root.join("registry.example.org.json").display()
        ),
        "the put under gdb must really write"
    );
    assert!(contents(&s.root.join("registry.example.org.json")).contains(CORE_PASSWORD));
    assert_eq!(
        occurrences(&core, CORE_PASSWORD),
        0,
        "the password survives"
    );
    let pieces = pieces_in(&core, CORE_PASSWORD, 12);
    assert!(
        pieces.is_empty(),
        "pieces of the password survive: {pieces:?}"
    );
}

#[test]
fn the_put_harness_sees_the_password_before_the_file_is_synced() {
    require!(Need::Root, Need::Tool("gdb"), Need::NativeBinary);
    const CORE_PASSWORD: &str = "put-core-pw-0e5b7c-unique";
    let s = Scratch::new("put-core-fsync");
    let args = [
        "put",
        "--credroot",
        s.root_str(),
        "--username",
        "core-user",
        "registry.example.org",
    ];
    let (core, _) = core_image_at(
        &s.dir,
        &args,
        &format!("{CORE_PASSWORD}\n"),
        "catch syscall fsync",
        None,
    );
    assert!(
        occurrences(&core_memory(&core), CORE_PASSWORD) >= 1,
        "while put writes, its memory must hold the password, or the exit test proves nothing"
    );
}

//! The performance benchmark (`cargo bench --bench perf`): what one request
//! costs, against the physical limit of starting a static no-op process.
//!
//! In one run it builds the release binary, a static std no-op built the
//! same way (the release profile and the musl flags, read from Cargo.toml and
//! .cargo/config.toml) and a variant with the C library's allocator instead
//! of the wiping arena (`--cfg gcp_plain_alloc`), lays out the credential
//! roots with the integration tests' harness, then alternates batches of
//! executions of every case, so that machine noise hits all of them alike:
//! (a) the no-op, (b) the plugin on a one-file root, (c) on a 10,000-file
//! root, (v) `--version`, (t) a request with a service-account token
//! answered from a namespace file, (b') (b) with the C allocator. It prints
//! medians and ratios, then size, peak RSS, syscalls (strace, execve
//! included), instructions (valgrind's callgrind, repeatable on a noisy
//! machine) and a 16-way concurrent run.
//!
//! `GCP_BENCH_BASELINE=/path/to/old/binary` adds a "before" column: the old
//! binary runs (b), (c) and (v) in the same alternating batches, so that its
//! ratios come from the same run. `GCP_BENCH_ROUNDS` (default 60) sets the
//! number of batches per case. Figures are printed, never asserted; only the
//! answers are checked, so that a timing never measures a refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

// The integration tests' harness: scratch roots that pass the trust rules,
// requests, tokens and expected answers. The bench uses only part of it
// (it runs its own release binaries, not the one `util::bin` names).
#[allow(dead_code, unused_macros)]
#[path = "../tests/util.rs"]
mod util;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use util::{Expect, Need, Scratch, jwt, request, request_with_token};

const TARGET: &str = "x86_64-unknown-linux-musl";
const BINARY: &str = "generic-credential-provider";
/// Batches per case, unless `GCP_BENCH_ROUNDS` says otherwise.
const ROUNDS: usize = 60;
/// Executions per batch: small, so that a round of all cases takes tens of
/// milliseconds and a burst of load from other processes falls on every
/// case alike (with batches of 200, two runs' b / a differed by 0.2).
const BATCH: usize = 20;
/// Executions of each case before measuring (page cache, CPU frequency).
const WARMUP: usize = 20;
const BIG_ROOT_FILES: usize = 10_000;
const CONCURRENT: usize = 16;
const CONCURRENT_ROUNDS: usize = 20;
const IMAGE: &str = "registry.example.org/team/app";
const REGISTRY: &str = "registry.example.org";
/// A directory inside the one-file root, used as a root one level deeper:
/// the difference is what each directory of the walk costs.
const DEEPER: &str = "deeper";
/// Directories below `/` of the default root, /etc/kubernetes/registries.
const DEFAULT_ROOT_DEPTH: u64 = 3;

/// Issue 13's targets.
const TARGET_REQUEST_RATIO: &str = "<= 1.20 (goal <= 1.15)";
const TARGET_BIG_ROOT_RATIO: &str = "<= 1.05";
const TARGET_VERSION_RATIO: &str = "<= 1.05";
const TARGET_SIZE: &str = "<= 192 KiB = 196,608 (goal <= 128 KiB = 131,072)";
const TARGET_RSS: &str = "<= 1 MiB = 1,024 KiB";
const TARGET_SYSCALLS: &str = "<= 36";
const TARGET_INSTRUCTIONS: &str = "<= 70,000";

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = manifest.join("target/bench");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(&work).unwrap();
    fs::set_permissions(&work, fs::Permissions::from_mode(0o700)).unwrap();

    let bins = Binaries::build(&manifest, &work);
    let roots = Roots::new();
    let mut cases = Cases::new(&bins, &roots);
    cases.check_answers();
    let rounds = rounds();
    cases.alternate(rounds);

    let tools = Tools::find();
    let table = Table {
        baseline: bins.baseline.is_some(),
    };
    println!(
        "generic-credential-provider benchmark ({} executions per case, alternating batches of {BATCH})",
        rounds * BATCH
    );
    println!();
    table.header();
    time_rows(&table, &cases);
    size_rows(&table, &bins);
    if tools.time {
        rss_rows(&table, &cases);
    }
    let traces = if tools.strace {
        syscall_rows(&table, &cases, &work)
    } else {
        Vec::new()
    };
    if tools.valgrind {
        instruction_rows(&table, &cases, &work);
    }
    concurrency_row(&table, &bins, &roots);
    println!();
    print_traces(&traces);
}

/// The measuring tools this machine has. A missing one skips its rows with
/// the harness's `SKIPPED` line (printed before the table), and fails in CI.
struct Tools {
    /// GNU time (Debian package `time`), for peak RSS.
    time: bool,
    strace: bool,
    valgrind: bool,
}

impl Tools {
    fn find() -> Self {
        Self {
            time: util::require("peak RSS", &[Need::Tool("time")]),
            strace: util::require("syscalls", &[Need::Tool("strace")]),
            valgrind: util::require("instructions", &[Need::Tool("valgrind")]),
        }
    }
}

fn rounds() -> usize {
    std::env::var("GCP_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(ROUNDS)
}

// ---------------------------------------------------------------- building

/// The programs the bench runs.
struct Binaries {
    /// The plugin, exactly as released.
    plugin: PathBuf,
    /// The plugin with the C library's allocator: what the arena costs.
    plain: PathBuf,
    /// A static std `fn main() {}` built the same way: the floor.
    noop: PathBuf,
    /// `GCP_BENCH_BASELINE`: an older build, for the "before" column.
    baseline: Option<PathBuf>,
}

impl Binaries {
    fn build(manifest: &Path, work: &Path) -> Self {
        let flags = musl_rustflags(manifest);
        let release = [
            "build",
            "--release",
            "--locked",
            "--quiet",
            "--target",
            TARGET,
        ];
        sh(Command::new("cargo").current_dir(manifest).args(release));
        let plugin = manifest.join(format!("target/{TARGET}/release/{BINARY}"));

        // The variable replaces the config's rustflags, so it repeats them.
        let plain_dir = manifest.join("target/bench-plain-alloc");
        let mut plain_flags = flags.clone();
        plain_flags.extend(["--cfg".to_owned(), "gcp_plain_alloc".to_owned()]);
        sh(Command::new("cargo")
            .current_dir(manifest)
            .args(release)
            .arg("--target-dir")
            .arg(&plain_dir)
            .env(
                "CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS",
                plain_flags.join(" "),
            ));
        let plain = plain_dir.join(format!("{TARGET}/release/{BINARY}"));

        let noop_src = work.join("noop.rs");
        fs::write(&noop_src, "fn main() {}\n").unwrap();
        let noop = work.join("noop");
        sh(Command::new("rustc")
            .args(["--edition=2024", "--target", TARGET])
            .args(release_profile_flags(manifest))
            .args(&flags)
            .arg("-o")
            .arg(&noop)
            .arg(&noop_src));

        let baseline = std::env::var_os("GCP_BENCH_BASELINE").map(PathBuf::from);
        if let Some(old) = &baseline {
            assert!(
                old.is_file(),
                "GCP_BENCH_BASELINE: {} is not a file",
                old.display()
            );
        }
        Self {
            plugin,
            plain,
            noop,
            baseline,
        }
    }
}

fn sh(cmd: &mut Command) {
    let status = cmd.status().unwrap();
    assert!(status.success(), "{cmd:?} failed");
}

/// The `[target.x86_64-unknown-linux-musl]` rustflags of .cargo/config.toml
/// (one array of quoted strings), so the no-op and the allocator variant are
/// built with exactly the release binary's flags.
fn musl_rustflags(manifest: &Path) -> Vec<String> {
    let config = fs::read_to_string(manifest.join(".cargo/config.toml")).unwrap();
    let section = toml_section(&config, &format!("[target.{TARGET}]"));
    let start = section.find("rustflags = [").expect("no rustflags array");
    let array = &section[start..];
    let array = &array[..array.find(']').expect("unterminated rustflags")];
    let flags: Vec<String> = array
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    assert!(!flags.is_empty(), "empty rustflags in .cargo/config.toml");
    flags
}

/// Cargo.toml's `[profile.release]` as rustc flags: every key there
/// (`opt-level`, `lto`, `codegen-units`, `panic`, `strip`) is also a `-C`
/// option of the same name.
fn release_profile_flags(manifest: &Path) -> Vec<String> {
    let cargo = fs::read_to_string(manifest.join("Cargo.toml")).unwrap();
    toml_section(&cargo, "[profile.release]")
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .flat_map(|l| {
            let (key, value) = l.split_once('=').expect("a key = value line");
            let value = value.trim().trim_matches('"');
            ["-C".to_owned(), format!("{}={value}", key.trim())]
        })
        .collect()
}

/// The lines after `header` up to the next section header.
fn toml_section<'a>(text: &'a str, header: &str) -> &'a str {
    let start = text.find(header).unwrap_or_else(|| panic!("no {header}")) + header.len();
    let rest = &text[start..];
    let end = rest.find("\n[").unwrap_or(rest.len());
    &rest[..end]
}

// ------------------------------------------------------------------- cases

/// The credential roots, laid out by the tests' harness (inside cargo's
/// target directory, whose ancestors pass the trust rules).
struct Roots {
    small: Scratch,
    big: Scratch,
    tenant: Scratch,
    concurrent: Scratch,
}

impl Roots {
    fn new() -> Self {
        let small = Scratch::new("bench-small");
        small.cred(&format!("{REGISTRY}.json"), "user-small", "pass-small");
        small.cred(
            &format!("{DEEPER}/{REGISTRY}.json"),
            "user-small",
            "pass-small",
        );
        let big = Scratch::new("bench-big");
        for i in 0..BIG_ROOT_FILES {
            big.cred(&format!("r{i}.example.net.json"), "u", "p");
        }
        big.cred(&format!("{REGISTRY}.json"), "user-big", "pass-big");
        let tenant = Scratch::new("bench-tenant");
        tenant.cred(
            &format!("namespaces/team-a/{REGISTRY}.json"),
            "user-team-a",
            "pass-team-a",
        );
        let concurrent = Scratch::new("bench-concurrent");
        for i in 0..CONCURRENT {
            concurrent.cred(
                &format!("r{i}.example.org.json"),
                &format!("user-r{i}"),
                &format!("pass-r{i}"),
            );
        }
        Self {
            small,
            big,
            tenant,
            concurrent,
        }
    }
}

/// The plugin's arguments for `root`, with syslog pointed at a socket
/// nobody listens on (as the tests' `Scratch::run` does).
fn plugin_args(root: &Scratch) -> Vec<String> {
    let sock = root.dir.join("no-syslog");
    vec![
        "--credroot".to_owned(),
        root.root_str().to_owned(),
        "--log-socket".to_owned(),
        sock.to_str().unwrap().to_owned(),
    ]
}

/// One program invocation, executed many times.
struct Case {
    bin: PathBuf,
    args: Vec<String>,
    stdin: Vec<u8>,
    /// The exact stdout line (without its newline), when there is one to check.
    answer: Option<String>,
    samples: Vec<Duration>,
}

impl Case {
    fn new(bin: &Path, args: Vec<String>, stdin: String, answer: Option<String>) -> Self {
        Self {
            bin: bin.to_owned(),
            args,
            stdin: stdin.into_bytes(),
            answer,
            samples: Vec::new(),
        }
    }

    /// Spawn to exit, with the output thrown away.
    fn timed(&self) -> Duration {
        let start = Instant::now();
        let mut child = Command::new(&self.bin)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A program that does not read stdin may close it first: ignore EPIPE.
        let _ = child.stdin.take().unwrap().write_all(&self.stdin);
        let status = child.wait().unwrap();
        let elapsed = start.elapsed();
        assert!(status.success(), "{} failed", self.bin.display());
        elapsed
    }

    /// Runs the case under `wrapper` (a tool and its options, or nothing).
    fn output_under(&self, wrapper: &[&str]) -> Output {
        let mut cmd = match wrapper.split_first() {
            Some((tool, options)) => {
                let mut c = Command::new(tool);
                c.args(options).arg(&self.bin);
                c
            }
            None => Command::new(&self.bin),
        };
        let mut child = cmd
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _ = child.stdin.take().unwrap().write_all(&self.stdin);
        child.wait_with_output().unwrap()
    }

    /// Asserts that the case succeeds with its answer, so no figure is that
    /// of a refusal.
    fn check_answer(&self) {
        let out = self.output_under(&[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{} {:?} failed: {stderr}",
            self.bin.display(),
            self.args
        );
        if let Some(answer) = &self.answer {
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                format!("{answer}\n"),
                "{} {:?} answered wrongly",
                self.bin.display(),
                self.args
            );
        }
    }

    /// The same case with the root one directory deeper (see [`DEEPER`]).
    fn deeper(&self) -> Self {
        let mut args = self.args.clone();
        if let Some(root) = args.get_mut(1) {
            *root = format!("{root}/{DEEPER}");
        }
        Self::new(
            &self.bin,
            args,
            String::from_utf8(self.stdin.clone()).unwrap(),
            self.answer.clone(),
        )
    }

    /// Directories below `/` of the case's root.
    fn root_depth(&self) -> u64 {
        self.args
            .get(1)
            .map_or(0, |root| Path::new(root).components().count() as u64 - 1)
    }

    fn median(&self) -> Duration {
        let mut v = self.samples.clone();
        v.sort();
        v.get(v.len() / 2).copied().unwrap_or_default()
    }
}

/// The cases that are timed, alternating.
struct Cases {
    /// (a) the static std no-op.
    noop: Case,
    /// (b) a request, one-file root.
    small: Case,
    /// (c) the same request, 10,000-file root.
    big: Case,
    /// (v) `--version`: the binary's start-up alone.
    version: Case,
    /// (t) a request with a token, answered from `namespaces/team-a/`.
    token: Case,
    /// (b') (b) with the C library's allocator.
    plain: Case,
    /// (b), (c) and (v) for the baseline binary.
    before: Option<[Case; 3]>,
}

impl Cases {
    fn new(bins: &Binaries, roots: &Roots) -> Self {
        let answer =
            |user: &str, pass: &str| Some(Expect::registry(REGISTRY).creds(user, pass).json());
        let small = |bin: &Path| {
            let args = plugin_args(&roots.small);
            Case::new(
                bin,
                args,
                request(IMAGE),
                answer("user-small", "pass-small"),
            )
        };
        let big = |bin: &Path| {
            let args = plugin_args(&roots.big);
            Case::new(bin, args, request(IMAGE), answer("user-big", "pass-big"))
        };
        let version =
            |bin: &Path| Case::new(bin, vec!["--version".to_owned()], String::new(), None);
        let token_request = request_with_token(IMAGE, &jwt("team-a", "builder"));
        Self {
            noop: Case::new(&bins.noop, Vec::new(), String::new(), None),
            small: small(&bins.plugin),
            big: big(&bins.plugin),
            version: version(&bins.plugin),
            token: Case::new(
                &bins.plugin,
                plugin_args(&roots.tenant),
                token_request,
                answer("user-team-a", "pass-team-a"),
            ),
            plain: small(&bins.plain),
            before: bins
                .baseline
                .as_deref()
                .map(|old| [small(old), big(old), version(old)]),
        }
    }

    fn all(&mut self) -> Vec<&mut Case> {
        let mut all = vec![
            &mut self.noop,
            &mut self.small,
            &mut self.big,
            &mut self.version,
            &mut self.token,
            &mut self.plain,
        ];
        if let Some(before) = &mut self.before {
            all.extend(before.iter_mut());
        }
        all
    }

    fn check_answers(&mut self) {
        for case in self.all() {
            case.check_answer();
        }
    }

    /// Warms up, then runs `rounds` batches of every case in turn.
    fn alternate(&mut self, rounds: usize) {
        let mut all = self.all();
        for case in &all {
            for _ in 0..WARMUP {
                case.timed();
            }
        }
        for _ in 0..rounds {
            for case in &mut all {
                for _ in 0..BATCH {
                    let t = case.timed();
                    case.samples.push(t);
                }
            }
        }
    }
}

// ------------------------------------------------------------------- table

/// A figure for the binary under test and, with a baseline, the old one.
struct Value {
    after: String,
    before: Option<String>,
}

impl Value {
    /// A figure that only the new binary has (a new feature, a variant).
    fn after(after: String) -> Self {
        Self {
            after,
            before: None,
        }
    }

    fn both(after: String, before: Option<String>) -> Self {
        Self { after, before }
    }
}

/// The one table the bench prints: `| measure | [before |] after | target |`.
struct Table {
    baseline: bool,
}

impl Table {
    fn header(&self) {
        if self.baseline {
            println!("| measure | before (GCP_BENCH_BASELINE) | after | target |");
            println!("| --- | --- | --- | --- |");
        } else {
            println!("| measure | value | target |");
            println!("| --- | --- | --- |");
        }
    }

    fn row(&self, label: &str, value: Value, target: &str) {
        if self.baseline {
            let before = value.before.as_deref().unwrap_or("n/a");
            println!("| {label} | {before} | {} | {target} |", value.after);
        } else {
            println!("| {label} | {} | {target} |", value.after);
        }
    }
}

fn micros(d: Duration) -> String {
    format!("{:.0} µs", d.as_secs_f64() * 1e6)
}

fn ratio(x: Duration, y: Duration) -> String {
    format!("{:.3}", x.as_secs_f64() / y.as_secs_f64())
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ----------------------------------------------------------------- figures

fn time_rows(table: &Table, cases: &Cases) {
    let (a, b, c, v) = (
        cases.noop.median(),
        cases.small.median(),
        cases.big.median(),
        cases.version.median(),
    );
    let (t, p) = (cases.token.median(), cases.plain.median());
    let old = cases
        .before
        .as_ref()
        .map(|[b, c, v]| (b.median(), c.median(), v.median()));
    let before = |f: &dyn Fn((Duration, Duration, Duration)) -> String| old.map(f);
    table.row(
        "(a) static std no-op",
        Value::both(micros(a), Some(micros(a))),
        "",
    );
    table.row(
        "(b) request, 1-file root",
        Value::both(micros(b), before(&|(b, _, _)| micros(b))),
        "",
    );
    table.row(
        &format!("(c) request, {}-file root", grouped(BIG_ROOT_FILES as u64)),
        Value::both(micros(c), before(&|(_, c, _)| micros(c))),
        "",
    );
    table.row(
        "(v) `--version` (start-up alone)",
        Value::both(micros(v), before(&|(_, _, v)| micros(v))),
        "",
    );
    table.row(
        "(t) request with a token, namespace file",
        Value::after(micros(t)),
        "",
    );
    table.row(
        "(b') request, C library allocator",
        Value::after(micros(p)),
        "",
    );
    table.row(
        "b / a (request vs no-op)",
        Value::both(ratio(b, a), before(&|(b, _, _)| ratio(b, a))),
        TARGET_REQUEST_RATIO,
    );
    table.row(
        "c / b (10,000 files vs 1)",
        Value::both(ratio(c, b), before(&|(b, c, _)| ratio(c, b))),
        TARGET_BIG_ROOT_RATIO,
    );
    table.row(
        "v / a (start-up vs no-op)",
        Value::both(ratio(v, a), before(&|(_, _, v)| ratio(v, a))),
        TARGET_VERSION_RATIO,
    );
    table.row(
        "b / v (request vs start-up)",
        Value::both(ratio(b, v), before(&|(b, _, v)| ratio(b, v))),
        "",
    );
    table.row(
        "t / b (token vs plain request)",
        Value::after(ratio(t, b)),
        "",
    );
    table.row(
        "b / b' (arena vs C allocator)",
        Value::after(ratio(b, p)),
        "",
    );
}

fn size_rows(table: &Table, bins: &Binaries) {
    let size = |bin: &Path| format!("{} B", grouped(fs::metadata(bin).unwrap().len()));
    let before = bins.baseline.as_deref().map(size);
    table.row(
        "binary size",
        Value::both(size(&bins.plugin), before),
        TARGET_SIZE,
    );
    table.row(
        "binary size, static std no-op",
        Value::both(size(&bins.noop), Some(size(&bins.noop))),
        "",
    );
}

/// Runs per peak-RSS figure: one run varies by tens of KiB (page-table and
/// page-cache accounting), so the figure is a median.
const RSS_RUNS: usize = 9;

/// Median peak resident set size from GNU time's `-v` report.
fn peak_rss_kib(case: &Case) -> Option<u64> {
    let mut runs: Vec<u64> = (0..RSS_RUNS)
        .map(|_| {
            let out = case.output_under(&["time", "-v"]);
            let report = String::from_utf8_lossy(&out.stderr);
            let line = report
                .lines()
                .find(|l| l.contains("Maximum resident set size"))?;
            line.rsplit(':').next()?.trim().parse().ok()
        })
        .collect::<Option<_>>()?;
    runs.sort_unstable();
    runs.get(runs.len() / 2).copied()
}

fn rss_rows(table: &Table, cases: &Cases) {
    let kib =
        |case: &Case| peak_rss_kib(case).map_or("?".to_owned(), |k| format!("{} KiB", grouped(k)));
    let noop = kib(&cases.noop);
    let before = cases.before.as_ref().map(|[b, _, _]| kib(b));
    table.row(
        "peak RSS, request (1-file root)",
        Value::both(kib(&cases.small), before),
        TARGET_RSS,
    );
    table.row(
        "peak RSS, token request",
        Value::after(kib(&cases.token)),
        "",
    );
    table.row("peak RSS, no-op", Value::both(noop.clone(), Some(noop)), "");
}

/// A program's system calls, from strace.
struct Trace {
    /// `strace -c -f`: calls per name, execve included, most frequent first.
    counts: Vec<(String, u64)>,
    /// `strace -f`: the calls in order, as strace prints them.
    lines: Vec<String>,
}

/// The calls a walk makes per directory (an open, a stat and, in the std
/// build, a close).
const WALK_CALLS: [&str; 3] = ["openat", "fstat", "close"];

impl Trace {
    fn calls(&self, name: &str) -> u64 {
        self.counts
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, n)| *n)
    }

    fn total(&self) -> u64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    /// `45 (openat 11, fstat 10, ...)`.
    fn summary(&self) -> String {
        let names: Vec<String> = self
            .counts
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect();
        format!("{} ({})", self.total(), names.join(", "))
    }
}

fn trace(case: &Case, out: &Path) -> Trace {
    let counts_file = out.with_extension("c.txt");
    case.output_under(&["strace", "-c", "-f", "-o", counts_file.to_str().unwrap()]);
    let text = fs::read_to_string(&counts_file).unwrap();
    // One row per call: "% time, seconds, usecs/call, calls, [errors,] name".
    let mut counts: Vec<(String, u64)> = text
        .lines()
        .filter(|l| !l.contains("total") && !l.starts_with('%') && !l.starts_with('-'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(((*f.last()?).to_owned(), f.get(3)?.parse().ok()?))
        })
        .collect();
    counts.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
    case.output_under(&["strace", "-f", "-o", out.to_str().unwrap()]);
    let lines = fs::read_to_string(out)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    Trace { counts, lines }
}

/// Traces kept for the listing after the table: (title, trace).
type Traces = Vec<(String, Trace)>;

fn syscall_rows(table: &Table, cases: &Cases, work: &Path) -> Traces {
    let depth = cases.small.root_depth();
    let small = trace(&cases.small, &work.join("strace-request"));
    let before = cases
        .before
        .as_ref()
        .map(|[b, _, _]| trace(b, &work.join("strace-before-request")));
    table.row(
        &format!("syscalls per request (execve included; root {depth} directories below /)"),
        Value::both(small.summary(), before.as_ref().map(Trace::summary)),
        TARGET_SYSCALLS,
    );
    let at_default_depth = |case: &Case, at_depth: &Trace, name: &str| {
        let deeper = case.deeper();
        deeper.check_answer();
        let deeper = trace(&deeper, &work.join(name));
        // Only the walk's calls: a longer path can also cross an allocation
        // threshold (an mmap and a munmap in the std build), which is not
        // a cost of the directory.
        let walk: Vec<String> = WALK_CALLS
            .iter()
            .filter(|&&name| deeper.calls(name) > at_depth.calls(name))
            .map(|&name| name.to_owned())
            .collect();
        let per_directory: u64 = WALK_CALLS
            .iter()
            .map(|name| deeper.calls(name).saturating_sub(at_depth.calls(name)))
            .sum();
        let projected = at_depth
            .total()
            .saturating_sub(depth.saturating_sub(DEFAULT_ROOT_DEPTH) * per_directory);
        format!(
            "{projected} ({per_directory} per directory: {})",
            walk.join(", ")
        )
    };
    table.row(
        &format!(
            "syscalls per request, root {DEFAULT_ROOT_DEPTH} directories below / (as /etc/kubernetes/registries; from a root one deeper)"
        ),
        Value::both(
            at_default_depth(&cases.small, &small, "strace-deeper"),
            cases.before.as_ref().zip(before.as_ref()).map(|([b, _, _], t)| {
                at_default_depth(b, t, "strace-before-deeper")
            }),
        ),
        TARGET_SYSCALLS,
    );
    let token = trace(&cases.token, &work.join("strace-token"));
    table.row("syscalls, token request", Value::after(token.summary()), "");
    let version = trace(&cases.version, &work.join("strace-version"));
    let before_version = cases
        .before
        .as_ref()
        .map(|[_, _, v]| trace(v, &work.join("strace-before-version")).summary());
    table.row(
        "syscalls, `--version`",
        Value::both(version.summary(), before_version),
        "",
    );
    let noop = trace(&cases.noop, &work.join("strace-noop")).summary();
    table.row("syscalls, no-op", Value::both(noop.clone(), Some(noop)), "");
    let mut traces = vec![("request, 1-file root (after)".to_owned(), small)];
    traces.extend(before.map(|t| ("request, 1-file root (before)".to_owned(), t)));
    traces.push(("token request (after)".to_owned(), token));
    traces
}

/// Instructions executed, from callgrind's summary on stderr.
fn instructions(case: &Case, out: &Path) -> Option<u64> {
    let file = format!("--callgrind-out-file={}", out.display());
    let run = case.output_under(&["valgrind", "--tool=callgrind", &file]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

fn instruction_rows(table: &Table, cases: &Cases, work: &Path) {
    let count = |case: &Case, name: &str| instructions(case, &work.join(name));
    let show = |n: Option<u64>| n.map_or("?".to_owned(), grouped);
    let before = cases.before.as_ref().map(|[b, c, v]| {
        (
            count(b, "cg.before.small"),
            count(c, "cg.before.big"),
            count(v, "cg.before.version"),
        )
    });
    let small = count(&cases.small, "cg.small");
    let plain = count(&cases.plain, "cg.plain");
    let noop = show(count(&cases.noop, "cg.noop"));
    table.row(
        "instructions per request (1-file root)",
        Value::both(show(small), before.map(|(b, _, _)| show(b))),
        TARGET_INSTRUCTIONS,
    );
    table.row(
        &format!("instructions, {}-file root", grouped(BIG_ROOT_FILES as u64)),
        Value::both(
            show(count(&cases.big, "cg.big")),
            before.map(|(_, c, _)| show(c)),
        ),
        "",
    );
    table.row(
        "instructions, token request",
        Value::after(show(count(&cases.token, "cg.token"))),
        "",
    );
    table.row(
        "instructions, `--version`",
        Value::both(
            show(count(&cases.version, "cg.version")),
            before.map(|(_, _, v)| show(v)),
        ),
        "",
    );
    let arena = match (small, plain) {
        (Some(s), Some(p)) => format!(
            "{} ({:+} for the arena, {:+.1}%)",
            grouped(p),
            s as i64 - p as i64,
            (s as f64 - p as f64) / p as f64 * 100.0
        ),
        _ => show(plain),
    };
    table.row("instructions, C library allocator", Value::after(arena), "");
    table.row(
        "instructions, no-op",
        Value::both(noop.clone(), Some(noop)),
        "",
    );
}

/// `CONCURRENT_ROUNDS` rounds of `CONCURRENT` requests in parallel, each for
/// its own registry: (failed, wrong answers).
fn concurrent_runs(bin: &Path, root: &Scratch) -> (usize, usize) {
    let (mut failed, mut wrong) = (0, 0);
    for _ in 0..CONCURRENT_ROUNDS {
        let children: Vec<_> = (0..CONCURRENT)
            .map(|i| {
                let mut child = Command::new(bin)
                    .args(plugin_args(root))
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                let body = request(&format!("r{i}.example.org/app"));
                let _ = child.stdin.take().unwrap().write_all(body.as_bytes());
                (i, child)
            })
            .collect();
        for (i, child) in children {
            let out = child.wait_with_output().unwrap();
            let want = Expect::registry(&format!("r{i}.example.org"))
                .creds(&format!("user-r{i}"), &format!("pass-r{i}"))
                .json()
                + "\n";
            if !out.status.success() {
                failed += 1;
            } else if out.stdout != want.as_bytes() {
                wrong += 1;
            }
        }
    }
    (failed, wrong)
}

fn concurrency_row(table: &Table, bins: &Binaries, roots: &Roots) {
    let show = |(failed, wrong): (usize, usize)| format!("{failed} failed, {wrong} wrong");
    let after = show(concurrent_runs(&bins.plugin, &roots.concurrent));
    let before = bins
        .baseline
        .as_deref()
        .map(|old| show(concurrent_runs(old, &roots.concurrent)));
    table.row(
        &format!(
            "concurrency: {} runs, {CONCURRENT} at a time",
            CONCURRENT * CONCURRENT_ROUNDS
        ),
        Value::both(after, before),
        "0 failed, 0 wrong",
    );
}

/// The traced calls in order, one per line without strace's pid prefix,
/// so that what remains per request can be read off.
fn print_traces(traces: &Traces) {
    for (title, trace) in traces {
        println!("System calls, {title}: {}", trace.total());
        println!();
        println!("```");
        for line in &trace.lines {
            let call = line
                .split_once(' ')
                .map_or(line.as_str(), |(_, rest)| rest.trim_start());
            println!("{call}");
        }
        println!("```");
        println!();
    }
}

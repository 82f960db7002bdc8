//! The performance benchmark (`cargo bench --bench perf`): what one request
//! costs, against the physical limit of starting a static no-op process.
//!
//! In one run it builds the release binary, a static no-op built the same way
//! and a variant without the wiping allocator, lays out a one-file and a
//! 10,000-file credential root, then alternates batches of executions of
//! (a) the no-op, (b) the plugin on the one-file root, (c) the plugin on the
//! 10,000-file root, so that machine noise hits all three alike. It prints
//! median times and the ratios b/a and c/b, then peak RSS, size, syscalls and
//! instructions (valgrind's callgrind, repeatable on a noisy machine), and a
//! 16-way concurrent run. Figures are printed, never asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TARGET: &str = "x86_64-unknown-linux-musl";
const ROUNDS: usize = 6;
const BATCH: usize = 200;
const BIG_ROOT_FILES: usize = 10_000;
const CONCURRENT: usize = 16;

fn request(image: &str) -> Vec<u8> {
    format!(r#"{{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"{image}"}}"#)
        .into_bytes()
}

fn sh(cmd: &mut Command) {
    let status = cmd.status().unwrap();
    assert!(status.success(), "{cmd:?} failed");
}

fn private_dir(path: &Path) {
    fs::create_dir_all(path).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o700)).unwrap();
}

fn cred(root: &Path, name: &str) {
    let path = root.join(name);
    fs::write(
        &path,
        format!(r#"{{"username":"user-{name}","password":"pass-{name}"}}"#),
    )
    .unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// Runs `bin args` with `stdin`, returning the wall time of spawn to exit.
fn timed(bin: &Path, args: &[&str], stdin: &[u8]) -> Duration {
    let start = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(stdin);
    let status = child.wait().unwrap();
    let elapsed = start.elapsed();
    assert!(status.success(), "{} failed", bin.display());
    elapsed
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn tool(name: &str) -> bool {
    Command::new(name).arg("--version").output().is_ok()
}

fn callgrind_instructions(bin: &Path, args: &[&str], stdin: &[u8], out: &Path) -> Option<u64> {
    if !tool("valgrind") {
        return None;
    }
    let mut child = Command::new("valgrind")
        .args([
            "--tool=callgrind",
            &format!("--callgrind-out-file={}", out.display()),
        ])
        .arg(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().find(|l| l.contains("Collected :"))?;
    line.rsplit(':').next()?.trim().parse().ok()
}

fn peak_rss_kib(bin: &Path, args: &[&str], stdin: &[u8]) -> Option<u64> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let mut child = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn syscalls(bin: &Path, args: &[&str], stdin: &[u8], out: &Path) -> Option<String> {
    if !tool("strace") {
        return None;
    }
    let mut child = Command::new("strace")
        .args(["-c", "-o", out.to_str().unwrap()])
        .arg(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait().unwrap();
    let text = fs::read_to_string(out).ok()?;
    // One row per system call: "% time, seconds, usecs/call, calls, [errors,] name".
    let rows: Vec<(String, u64)> = text
        .lines()
        .filter(|l| !l.contains("total") && !l.starts_with('%') && !l.starts_with('-'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(((*f.last()?).to_owned(), f.get(3)?.parse().ok()?))
        })
        .collect();
    let total: u64 = rows.iter().map(|(_, n)| n).sum();
    let names: Vec<String> = rows.iter().map(|(name, n)| format!("{name} {n}")).collect();
    Some(format!("{total} ({})", names.join(", ")))
}

fn main() {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let work = manifest.join("target/bench");
    let _ = fs::remove_dir_all(&work);
    private_dir(&work);

    // The plugin, exactly as released, and a variant with the system
    // allocator (for the wiping allocator's cost).
    sh(Command::new("cargo").current_dir(&manifest).args([
        "build",
        "--release",
        "--locked",
        "--quiet",
        "--target",
        TARGET,
    ]));
    let plugin = manifest.join(format!(
        "target/{TARGET}/release/generic-credential-provider"
    ));
    let plain_dir = manifest.join("target/bench-plain-alloc");
    sh(Command::new("cargo")
        .current_dir(&manifest)
        .args(["build", "--release", "--locked", "--quiet", "--target", TARGET, "--target-dir"])
        .arg(&plain_dir)
        .env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_RUSTFLAGS", "-C target-feature=+crt-static -C link-arg=-Wl,-z,pack-relative-relocs --cfg gcp_plain_alloc"));
    let plain = plain_dir.join(format!("{TARGET}/release/generic-credential-provider"));

    // A static no-op built with the same profile.
    let noop_src = work.join("noop.rs");
    fs::write(&noop_src, "fn main() {}\n").unwrap();
    let noop = work.join("noop");
    sh(Command::new("rustc")
        .args([
            "--edition=2024",
            "--target",
            TARGET,
            "-C",
            "opt-level=z",
            "-C",
            "lto",
            "-C",
            "codegen-units=1",
            "-C",
            "panic=abort",
            "-C",
            "strip=symbols",
            "-C",
            "target-feature=+crt-static",
            "-o",
        ])
        .arg(&noop)
        .arg(&noop_src));

    // The roots: work/ is inside target/, whose ancestors pass the trust rules.
    let small = work.join("small");
    private_dir(&small);
    cred(&small, "registry.example.org.json");
    let big = work.join("big");
    private_dir(&big);
    for i in 0..BIG_ROOT_FILES {
        cred(&big, &format!("r{i}.example.net.json"));
    }
    cred(&big, "registry.example.org.json");
    let req = request("registry.example.org/team/app");
    let sock = work.join("no-syslog");
    let args_small = [
        "--credroot",
        small.to_str().unwrap(),
        "--log-socket",
        sock.to_str().unwrap(),
    ];
    let args_big = [
        "--credroot",
        big.to_str().unwrap(),
        "--log-socket",
        sock.to_str().unwrap(),
    ];

    // Warm up, then alternate batches.
    for _ in 0..20 {
        timed(&noop, &[], b"");
        timed(&plugin, &args_small, &req);
        timed(&plugin, &args_big, &req);
    }
    let (mut a, mut b, mut c, mut p, mut v) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        for _ in 0..BATCH {
            a.push(timed(&noop, &[], b""));
        }
        for _ in 0..BATCH {
            b.push(timed(&plugin, &args_small, &req));
        }
        for _ in 0..BATCH {
            c.push(timed(&plugin, &args_big, &req));
        }
        for _ in 0..BATCH {
            p.push(timed(&plain, &args_small, &req));
        }
        for _ in 0..BATCH {
            v.push(timed(&plugin, &["--version"], b""));
        }
        for _ in 0..BATCH {
            v.push(timed(&plugin, &["--version"], b""));
        }
    }
    let (ma, mb, mc, mp, mv) = (
        median(&mut a),
        median(&mut b),
        median(&mut c),
        median(&mut p),
        median(&mut v),
    );
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "generic-credential-provider benchmark ({} executions per case, alternating batches of {BATCH})",
        ROUNDS * BATCH
    );
    println!();
    println!("| case | median per request |");
    println!("| --- | --- |");
    println!("| (a) static no-op | {:.0} µs |", us(ma));
    println!("| (b) plugin, 1-file root | {:.0} µs |", us(mb));
    println!(
        "| (c) plugin, {BIG_ROOT_FILES}-file root | {:.0} µs |",
        us(mc)
    );
    println!(
        "| (b') plugin with the system allocator | {:.0} µs |",
        us(mp)
    );
    println!(
        "| (v) plugin --version (start-up only) | {:.0} µs |",
        us(mv)
    );
    println!();
    println!("| ratio | value | target |");
    println!("| --- | --- | --- |");
    println!(
        "| b / a (request vs no-op) | {:.3} | <= 1.25 |",
        us(mb) / us(ma)
    );
    println!(
        "| c / b (10,000 files vs 1) | {:.3} | <= 1.05 |",
        us(mc) / us(mb)
    );
    println!(
        "| b / b' (wiping vs system allocator) | {:.3} | |",
        us(mb) / us(mp)
    );
    println!(
        "| v / a (this binary's start-up vs the no-op) | {:.3} | |",
        us(mv) / us(ma)
    );
    println!(
        "| b / v (a request vs this binary's start-up) | {:.3} | |",
        us(mb) / us(mv)
    );
    println!();
    let size = fs::metadata(&plugin).unwrap().len();
    println!("| measure | value | target |");
    println!("| --- | --- | --- |");
    match peak_rss_kib(&plugin, &args_small, &req) {
        Some(kib) => println!("| peak RSS of one request | {kib} KiB | <= 1024 KiB |"),
        None => println!("| peak RSS of one request | /usr/bin/time not installed | |"),
    }
    if let Some(kib) = peak_rss_kib(&noop, &[], b"") {
        println!("| peak RSS of the no-op | {kib} KiB | |");
    }
    println!("| binary size | {size} bytes | <= 524288 |");
    match syscalls(&plugin, &args_small, &req, &work.join("strace.txt")) {
        Some(s) => println!("| syscalls per request | {s} | |"),
        None => println!("| syscalls per request | strace not installed | |"),
    }
    let inst = |bin: &Path, args: &[&str], stdin: &[u8], name: &str| {
        callgrind_instructions(bin, args, stdin, &work.join(name))
    };
    match (
        inst(&noop, &[], b"", "cg.noop"),
        inst(&plugin, &args_small, &req, "cg.small"),
        inst(&plugin, &args_big, &req, "cg.big"),
        inst(&plain, &args_small, &req, "cg.plain"),
    ) {
        (Some(n), Some(s), Some(bg), Some(pl)) => {
            println!("| instructions: no-op | {n} | |");
            println!("| instructions: request, 1-file root | {s} | |");
            println!("| instructions: request, {BIG_ROOT_FILES}-file root | {bg} | |");
            println!(
                "| instructions: request, system allocator | {pl} (wiping costs {} more, {:.1}%) | |",
                s.saturating_sub(pl),
                (s as f64 - pl as f64) / pl as f64 * 100.0
            );
        }
        _ => println!("| instructions | valgrind not installed | |"),
    }

    // 16 requests in parallel, for 16 different registries.
    let conc = work.join("concurrent");
    private_dir(&conc);
    for i in 0..CONCURRENT {
        cred(&conc, &format!("r{i}.example.org.json"));
    }
    let args_conc = [
        "--credroot",
        conc.to_str().unwrap(),
        "--log-socket",
        sock.to_str().unwrap(),
    ];
    let mut failures = 0;
    let mut wrong = 0;
    for _ in 0..20 {
        let children: Vec<_> = (0..CONCURRENT)
            .map(|i| {
                let mut child = Command::new(&plugin)
                    .args(args_conc)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(&request(&format!("r{i}.example.org/app")))
                    .unwrap();
                (i, child)
            })
            .collect();
        for (i, child) in children {
            let out = child.wait_with_output().unwrap();
            let want = format!(
                r#""auth":{{"r{i}.example.org":{{"username":"user-r{i}.example.org.json","password":"pass-r{i}.example.org.json"}}}}}}"#
            );
            if !out.status.success() {
                failures += 1;
            } else if !String::from_utf8_lossy(&out.stdout)
                .trim_end()
                .ends_with(&want)
            {
                wrong += 1;
            }
        }
    }
    println!(
        "| concurrency: {} runs, {CONCURRENT} at a time | {failures} failed, {wrong} wrong answers | 0, 0 |",
        20 * CONCURRENT
    );
}

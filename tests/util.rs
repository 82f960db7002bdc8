//! The harness: scratch credential roots in a directory the trust rules
//! accept, and a runner for the built binary that never hangs a test.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The binary under test: the one cargo built for the tests, or, when
/// `GCP_TEST_BIN` names one, that one (CI runs the suite a second time
/// against the static release binary it ships).
pub fn bin() -> String {
    std::env::var("GCP_TEST_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_generic-credential-provider").to_owned())
}
pub const V1: &str = "credentialprovider.kubelet.k8s.io/v1";
/// A run that takes longer than this is a hang (the kubelet kills at 60 s).
const RUN_TIMEOUT: Duration = Duration::from_secs(20);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The effective uid, from /proc (the tests take no libc dependency).
pub fn euid() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// What a test needs that a developer's machine may lack.
#[derive(Debug, Clone, Copy)]
pub enum Need {
    /// Root, to create files owned by another uid (CI runs as root).
    Root,
    /// A program on `PATH` (CI installs each: a missing one there fails).
    Tool(&'static str),
    /// The binary run natively: gdb cannot trace it, and a seccomp filter or
    /// a descriptor set up before exec would apply to qemu-user instead.
    NativeBinary,
}

/// Whether `test` can run here; otherwise prints `SKIPPED <test>: <why>`
/// and returns false. In CI a missing tool is a failure, not a skip.
pub fn require(test: &str, needs: &[Need]) -> bool {
    for need in needs {
        let why = match need {
            Need::Root if euid() != 0 => {
                "needs root to create files owned by another uid (CI runs as root)".to_owned()
            }
            Need::Tool(tool) if !on_path(tool) => {
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI must install {tool} (.ci/run does)"
                );
                format!("{tool} is not installed")
            }
            Need::NativeBinary if runner().is_some() => {
                "GCP_TEST_RUNNER is set: the test needs the binary itself, not qemu-user standing in for it".to_owned()
            }
            _ => continue,
        };
        println!("SKIPPED {test}: {why}");
        return false;
    }
    true
}

/// Skips the calling test (with its own name in the SKIPPED line) unless
/// every need is met: `require!(Need::Root, Need::Tool("gdb"));`.
macro_rules! require {
    ($($need:expr),+ $(,)?) => {{
        fn here() {}
        let name = std::any::type_name_of_val(&here);
        let name = name.strip_suffix("::here").unwrap_or(name);
        let name = name.rsplit("::").next().unwrap_or(name);
        if !$crate::util::require(name, &[$($need),+]) {
            return;
        }
    }};
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
}

/// `GCP_TEST_RUNNER`: a program run in front of the binary (CI runs the
/// suite against the arm64 binary under `qemu-aarch64-static`).
pub fn runner() -> Option<String> {
    std::env::var("GCP_TEST_RUNNER")
        .ok()
        .filter(|r| !r.is_empty())
}

/// A command that runs the binary under test (through the runner, if any).
pub fn command() -> Command {
    match runner() {
        Some(runner) => {
            let mut c = Command::new(runner);
            c.arg(bin());
            c
        }
        None => Command::new(bin()),
    }
}

/// Whether every directory from `/` to `dir` passes the plugin's rules.
fn trusted_path(dir: &Path) -> bool {
    let me = euid();
    dir.ancestors().all(|d| match fs::symlink_metadata(d) {
        Ok(m) => {
            use std::os::unix::fs::MetadataExt;
            m.file_type().is_dir() && (m.uid() == 0 || m.uid() == me) && m.mode() & 0o022 == 0
        }
        Err(_) => false,
    })
}

/// A base for scratch trees: cargo's target tmpdir when its ancestors pass the
/// plugin's own rules (the system temp directory never does: it is
/// world-writable), else a private directory under /run or $HOME.
fn base() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    if trusted_path(&target) {
        return target;
    }
    let fallback = if euid() == 0 {
        PathBuf::from("/run/generic-credential-provider-tests")
    } else {
        PathBuf::from(std::env::var("HOME").unwrap())
            .join(".cache/generic-credential-provider-tests")
    };
    fs::create_dir_all(&fallback).unwrap();
    fs::set_permissions(&fallback, fs::Permissions::from_mode(0o700)).unwrap();
    assert!(
        trusted_path(&fallback),
        "no trusted scratch directory at {}",
        fallback.display()
    );
    fallback
}

/// A scratch directory with a credential root `root/` inside it (mode 0700).
pub struct Scratch {
    pub dir: PathBuf,
    pub root: PathBuf,
}

impl Scratch {
    pub fn new(name: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = base().join(format!("gcp-{}-{name}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        let root = dir.join("root");
        fs::create_dir(&root).unwrap();
        fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).unwrap();
        Self { dir, root }
    }

    pub fn root_str(&self) -> &str {
        self.root.to_str().unwrap()
    }

    /// Writes `root/<rel>` with `mode`, creating 0700 directories on the way.
    pub fn file(&self, rel: &str, contents: &str, mode: u32) -> PathBuf {
        let path = self.root.join(rel);
        let parent = path.parent().unwrap();
        if !parent.exists() {
            fs::create_dir_all(parent).unwrap();
        }
        assert!(!rel.contains(".."), "scratch files stay inside the root");
        let mut d = parent.to_path_buf();
        while d != self.root {
            fs::set_permissions(&d, fs::Permissions::from_mode(0o700)).unwrap();
            d = d.parent().unwrap().to_path_buf();
        }
        fs::write(&path, contents).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        path
    }

    /// A 0600 credential file with this username and password.
    pub fn cred(&self, rel: &str, username: &str, password: &str) -> PathBuf {
        self.file(
            rel,
            &format!(r#"{{"username":"{username}","password":"{password}"}}"#),
            0o600,
        )
    }

    pub fn symlink(&self, target: &Path, rel: &str) {
        symlink(target, self.root.join(rel)).unwrap();
    }

    /// The plugin, with its log socket pointed into this scratch directory
    /// (nothing listens there unless a test binds it).
    pub fn run(&self, stdin: &[u8]) -> Run {
        self.run_args(&["--credroot", self.root_str()], stdin)
    }

    pub fn run_args(&self, args: &[&str], stdin: &[u8]) -> Run {
        let sock = self.dir.join("no-syslog");
        let mut all: Vec<&str> = args.to_vec();
        if !args.contains(&"check") && !args.contains(&"--log-socket") {
            all.extend(["--log-socket", sock.to_str().unwrap()]);
        }
        run(&all, stdin)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// The outcome of one run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts a refusal: exit 1, nothing on stdout, one stderr line.
    pub fn refused(&self) -> &str {
        assert_eq!(self.code, 1, "expected a refusal: {self:?}");
        assert_eq!(self.stdout, "", "a refusal prints nothing on stdout");
        assert!(
            self.stderr.starts_with("generic-credential-provider: "),
            "{self:?}"
        );
        assert_eq!(self.stderr.lines().count(), 1, "one stderr line: {self:?}");
        self.stderr
            .trim_end()
            .strip_prefix("generic-credential-provider: ")
            .unwrap()
    }

    /// Asserts an answer: exit 0, stdout exactly `json` plus a newline, no stderr.
    pub fn answered(&self, json: &str) {
        assert_eq!(
            (self.code, self.stdout.as_str(), self.stderr.as_str()),
            (0, format!("{json}\n").as_str(), "")
        );
    }

    /// Asserts that `secret` appears in neither stream.
    pub fn never_shows(&self, secret: &str) {
        assert!(!self.stdout.contains(secret), "secret on stdout: {self:?}");
        assert!(!self.stderr.contains(secret), "secret on stderr: {self:?}");
    }
}

/// Runs the binary with `args`, feeding `stdin`; fails the test after
/// [`RUN_TIMEOUT`] instead of hanging.
pub fn run(args: &[&str], stdin: &[u8]) -> Run {
    let mut child = command()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The plugin may refuse before reading everything: ignore EPIPE.
        let _ = input.write_all(&data);
    });
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > RUN_TIMEOUT {
            child.kill().unwrap();
            panic!("the plugin hung for {RUN_TIMEOUT:?} with args {args:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    writer.join().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// A kubelet request for `image` with `api_version`.
pub fn request_v(api_version: &str, image: &str) -> String {
    format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{api_version}","image":"{image}"}}"#
    ) + "\n"
}

/// A v1 request for `image`.
pub fn request(image: &str) -> String {
    request_v(V1, image)
}

/// An expected answer, built by name so that a swapped username and
/// password cannot compile into a passing test:
/// `Expect::registry("docker.io").creds("u", "p").json()`.
#[derive(Debug, Clone)]
pub struct Expect {
    key: String,
    key_type: &'static str,
    duration: String,
    api_version: String,
    username: String,
    password: String,
}

impl Expect {
    fn keyed(key: &str, key_type: &'static str) -> Self {
        Self {
            key: key.to_owned(),
            key_type,
            duration: "5m0s".to_owned(),
            api_version: V1.to_owned(),
            username: String::new(),
            password: String::new(),
        }
    }

    /// An answer cached per registry (`cacheKeyType Registry`), for 5 minutes.
    pub fn registry(key: &str) -> Self {
        Self::keyed(key, "Registry")
    }

    /// An answer cached per image (`cacheKeyType Image`), for 5 minutes.
    pub fn image(key: &str) -> Self {
        Self::keyed(key, "Image")
    }

    /// The credential (escaped as JSON already, where it needs escaping).
    pub fn creds(mut self, username: &str, password: &str) -> Self {
        self.username = username.to_owned();
        self.password = password.to_owned();
        self
    }

    /// Another `cacheDuration`, as Go prints it.
    pub fn duration(mut self, duration: &str) -> Self {
        self.duration = duration.to_owned();
        self
    }

    /// Another `apiVersion`.
    pub fn api_version(mut self, api_version: &str) -> Self {
        self.api_version = api_version.to_owned();
        self
    }

    /// The exact JSON line the plugin prints (without its newline).
    pub fn json(&self) -> String {
        let Self {
            key,
            key_type,
            duration,
            api_version,
            username,
            password,
        } = self;
        format!(
            r#"{{"kind":"CredentialProviderResponse","apiVersion":"{api_version}","cacheKeyType":"{key_type}","cacheDuration":"{duration}","auth":{{"{key}":{{"username":"{username}","password":"{password}"}}}}}}"#
        )
    }
}

/// Base64url without padding, as JWT segments are written.
pub fn base64url(bytes: &[u8]) -> String {
    const URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let mut acc = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            acc |= u32::from(b) << (16 - 8 * i);
        }
        for i in 0..=chunk.len() {
            out.push(char::from(URL[(acc >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Seconds since the epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A JWT with these claims and a dummy signature (the plugin reads claims,
/// it does not verify signatures: the kubelet is the trust anchor).
pub fn jwt_with(payload: &str) -> String {
    let header = base64url(br#"{"alg":"RS256","kid":"test-key"}"#);
    format!(
        "{header}.{}.{}",
        base64url(payload.as_bytes()),
        base64url(b"dummy-signature")
    )
}

/// The claims a real projected service-account token carries, for pod
/// `ns/sa`, expiring in an hour, for audience `aud`.
pub fn claims(ns: &str, sa: &str, aud: &str) -> String {
    let (iat, exp) = (now(), now() + 3600);
    format!(
        r#"{{"aud":["{aud}"],"exp":{exp},"iat":{iat},"iss":"https://kubernetes.default.svc.cluster.local","jti":"5a4c9f3e-1d2b-4c6a-9e8f-7b6a5d4c3b2a","kubernetes.io":{{"namespace":"{ns}","node":{{"name":"node-1","uid":"b3f1c2d4-0000-4000-8000-000000000001"}},"pod":{{"name":"app-7d9f8","uid":"c4e2d3f5-0000-4000-8000-000000000002"}},"serviceaccount":{{"name":"{sa}","uid":"d5f3e4a6-0000-4000-8000-000000000003"}}}},"nbf":{iat},"sub":"system:serviceaccount:{ns}:{sa}"}}"#
    )
}

/// A token for pod `ns/sa` with audience `registry.example.org`.
pub fn jwt(ns: &str, sa: &str) -> String {
    jwt_with(&claims(ns, sa, "registry.example.org"))
}

/// A v1 request for `image` carrying `token` (and an annotation, which
/// never selects credentials).
pub fn request_with_token(image: &str, token: &str) -> String {
    format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{V1}","image":"{image}","serviceAccountToken":"{token}","serviceAccountAnnotations":{{"domain.io/annotation1":"value1"}}}}"#
    ) + "\n"
}

/// The "no credentials" answer.
pub fn no_credentials() -> String {
    format!(
        r#"{{"kind":"CredentialProviderResponse","apiVersion":"{V1}","cacheKeyType":"Registry","cacheDuration":"0s"}}"#
    )
}

/// Runs the binary with `args` under gdb, stdin from `stdin` (written to a
/// file in `dir`), stopping where `catch` says (plus an optional condition),
/// and returns the core image taken there and what the run had printed on
/// stdout. `args` go through gdb's `run`, so they must need no shell quoting.
pub fn core_image_at(
    dir: &Path,
    args: &[&str],
    stdin: &str,
    catch: &str,
    condition: Option<&str>,
) -> (Vec<u8>, String) {
    let input = dir.join("gdb-stdin");
    let out = dir.join("gdb-stdout");
    let core = dir.join("gdb-core");
    let _ = fs::remove_file(&core);
    fs::write(&input, stdin).unwrap();
    let run = format!(
        "run {} < {} > {}",
        args.join(" "),
        input.display(),
        out.display()
    );
    let mut gdb_args = vec!["-batch", "-nx", "-ex", "set pagination off", "-ex", catch];
    let cond = condition.map(|c| format!("condition 1 {c}"));
    if let Some(c) = &cond {
        gdb_args.extend(["-ex", c]);
    }
    let gcore = format!("gcore {}", core.display());
    let binary = bin();
    gdb_args.extend(["-ex", &run, "-ex", &gcore, "-ex", "kill", &binary]);
    let gdb = Command::new("gdb").args(&gdb_args).output().unwrap();
    assert!(
        core.exists(),
        "gdb took no core: {}",
        String::from_utf8_lossy(&gdb.stdout) + String::from_utf8_lossy(&gdb.stderr)
    );
    let image = fs::read(&core).unwrap();
    assert!(
        image.len() > 100_000,
        "implausibly small core ({} bytes)",
        image.len()
    );
    let printed = fs::read_to_string(&out).unwrap_or_default();
    let _ = fs::remove_file(&core);
    (image, printed)
}

/// How often `needle` occurs in `haystack` (overlapping occurrences count).
pub fn occurrences(haystack: &[u8], needle: &str) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle.as_bytes())
        .count()
}

/// Every entry below `dir`, sorted by path, as `<mode> <type> <relative
/// path>` (`f` file, `d` directory, `l` link, `p` FIFO, `?` other), to
/// compare a tree before and after a command.
pub fn listing(dir: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = fs::symlink_metadata(&path).unwrap();
            let kind = match meta.file_type() {
                t if t.is_symlink() => 'l',
                t if t.is_dir() => 'd',
                t if t.is_file() => 'f',
                t if std::os::unix::fs::FileTypeExt::is_fifo(&t) => 'p',
                _ => '?',
            };
            let rel = path.strip_prefix(base).unwrap().display().to_string();
            let line = format!("{:04o} {kind} {rel}", meta.mode() & 0o7777);
            out.push((rel, line));
            if kind == 'd' {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out.into_iter().map(|(_, line)| line).collect()
}

/// The process memory in a core image: the bytes of every `PT_LOAD`
/// segment of the ELF64 file, each followed by a zero gap so that no match
/// spans two segments. (The `PT_NOTE` segment holds register state instead.)
pub fn core_memory(core: &[u8]) -> Vec<u8> {
    core_segments(core, 1)
}

/// The register state in a core image: the `PT_NOTE` segment (prstatus,
/// the FPU and XSAVE areas, which hold the vector registers).
pub fn core_notes(core: &[u8]) -> Vec<u8> {
    core_segments(core, 4)
}

fn core_segments(core: &[u8], wanted: u32) -> Vec<u8> {
    let u16_at = |o: usize| u16::from_le_bytes(core[o..o + 2].try_into().unwrap()) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(core[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(core[o..o + 8].try_into().unwrap()) as usize;
    assert_eq!(&core[..5], b"\x7fELF\x02", "an ELF64 core");
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    let mut out = Vec::new();
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(ph) == wanted {
            let (offset, size) = (u64_at(ph + 8), u64_at(ph + 32));
            out.extend_from_slice(&core[offset..offset + size]);
            out.extend_from_slice(&[0; 64]);
        }
    }
    out
}

/// Every `len`-byte piece of `secret` that occurs in `haystack`: what a
/// partial copy (a register, the tail of a buffer that grew) would hold.
/// One pass over the haystack, skipping ahead past bytes the secret lacks.
pub fn pieces_in(haystack: &[u8], secret: &str, len: usize) -> Vec<String> {
    let secret = secret.as_bytes();
    let len = len.min(secret.len());
    let windows: std::collections::HashSet<&[u8]> = secret.windows(len).collect();
    let mut present = [false; 256];
    for &b in secret {
        present[usize::from(b)] = true;
    }
    let mut found = std::collections::BTreeSet::new();
    let mut i = 0;
    while i + len <= haystack.len() {
        // A window holding a byte the secret lacks cannot match.
        if !present[usize::from(haystack[i + len - 1])] {
            i += len;
            continue;
        }
        if windows.contains(&haystack[i..i + len]) {
            found.insert(String::from_utf8_lossy(&haystack[i..i + len]).into_owned());
        }
        i += 1;
    }
    found.into_iter().collect()
}

//! `check` (issue 8): the operator's audit with the plugin's own code paths.
//! Never a secret in its output, whatever it finds.

use crate::util::*;
use std::fs;
use std::process::Command;

const PASSWORD: &str = "check-pw-7a1d9e";

fn check(s: &Scratch, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--credroot", s.root_str()];
    args.extend(extra);
    let out = run(&args, b"");
    out.never_shows(PASSWORD);
    assert_eq!(out.stderr, "");
    out
}

fn good_root(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.cred("registry.example.org.json", "u", PASSWORD);
    s.file(
        "registry.example.org:5000.json",
        &format!(r#"{{"username":"u","password":"{PASSWORD}","duration":"1h"}}"#),
        0o600,
    );
    s.cred("docker.io.json", "u", PASSWORD);
    s.cred("*.example.com.json", "u", PASSWORD);
    s.cred("ghcr.io/acme.json", "u", PASSWORD);
    s
}

#[test]
fn a_clean_root_passes() {
    let s = good_root("check-clean");
    let out = check(&s, &[]);
    let r = s.root.display();
    assert_eq!(
        out.stdout,
        format!(
            "ok    credential root {r}
ok    {r}/*.example.com.json: answers *.example.com, cacheDuration 5m0s
ok    {r}/docker.io.json: answers docker.io, cacheDuration 5m0s
ok    {r}/ghcr.io/acme.json: answers ghcr.io/acme and below, cacheDuration 5m0s
ok    {r}/registry.example.org.json: answers registry.example.org, cacheDuration 5m0s
ok    {r}/registry.example.org:5000.json: answers registry.example.org:5000, cacheDuration 1h0m0s
summary: 5 credential file(s), 5 usable; 0 problem(s): all usable
"
        )
    );
    assert_eq!(out.code, 0);
}

#[test]
fn each_kind_of_bad_file_fails_and_is_named() {
    let s = good_root("check-bad");
    s.file(
        "open.example.org.json",
        &format!(r#"{{"username":"u","password":"{PASSWORD}"}}"#),
        0o644,
    );
    s.file(
        "typo.example.org.json",
        &format!(r#"{{"username":"u","pasword":"{PASSWORD}"}}"#),
        0o600,
    );
    s.file(
        "dup.example.org.json",
        &format!(r#"{{"username":"u","password":"{PASSWORD}","password":"x"}}"#),
        0o600,
    );
    s.file(
        "days.example.org.json",
        &format!(r#"{{"username":"u","password":"{PASSWORD}","duration":"1d"}}"#),
        0o600,
    );
    s.file(
        "broken.example.org.json",
        &format!(r#"{{"username":"u","password":"{PASSWORD}""#),
        0o600,
    );
    s.cred("not_a_host!.json", "u", PASSWORD);
    s.cred("index.docker.io.json", "u", PASSWORD);
    s.cred("registry-1.docker.io.json", "u", PASSWORD);
    s.cred("Upper.Example.org.json", "u", PASSWORD);
    s.symlink(&s.root.join("docker.io.json"), "link.example.org.json");
    let big = s.cred("big.example.org.json", "u", PASSWORD);
    fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(100_000)
        .unwrap();
    fs::write(s.root.join("README"), "notes").unwrap();
    s.cred("*.example.net/acme.json", "u", PASSWORD);
    let out = check(&s, &[]);
    assert_eq!(out.code, 1);
    let r = s.root.display();
    for line in [
        format!(
            "FAIL  {r}/open.example.org.json is readable by group or others (mode 0644); run chmod 600 {r}/open.example.org.json"
        ),
        format!(
            "FAIL  {r}/typo.example.org.json has an unknown key \"pasword\" (did you mean \"password\"?); the keys are username, password and duration"
        ),
        format!("FAIL  {r}/dup.example.org.json has the key \"password\" more than once"),
        format!(
            "FAIL  {r}/days.example.org.json: the value of \"duration\" has an unknown unit (use ns, us, ms, s, m or h; there is no d)"
        ),
        format!("FAIL  {r}/broken.example.org.json is not valid JSON"),
        format!("FAIL  {r}/not_a_host!.json: \"not_a_host!\" is no valid registry host[:port]"),
        format!(
            "FAIL  {r}/index.docker.io.json: \"index.docker.io\" can never match: the kubelet sends Docker Hub images as docker.io/...; use docker.io.json"
        ),
        format!(
            "FAIL  {r}/registry-1.docker.io.json: \"registry-1.docker.io\" can never match: the kubelet sends Docker Hub images as docker.io/...; use docker.io.json"
        ),
        format!(
            "FAIL  {r}/Upper.Example.org.json: \"Upper.Example.org\" can never match: lookups use the lowercased host; rename it to upper.example.org.json"
        ),
        format!(
            "FAIL  {r}/link.example.org.json is a symbolic link; credential files must be regular files"
        ),
        format!(
            "FAIL  {r}/big.example.org.json is 100000 bytes, more than the 65536-byte limit for a credential file"
        ),
        format!("note  {r}/README: ignored (not a .json file or a registry directory)"),
        format!(
            "FAIL  {r}/*.example.net: a wildcard directory is never read; repository files live under the exact registry name"
        ),
        "summary: 16 credential file(s), 5 usable; 12 problem(s): NOT usable".to_owned(),
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "missing {line:?} in\n{}",
            out.stdout
        );
    }
}

#[test]
fn explains_images_with_a_port_docker_hub_a_repository_and_no_file() {
    let s = good_root("check-images");
    let out = check(
        &s,
        &[
            "registry.example.org:5000/team/app:1.0",
            "nginx",
            "ghcr.io/acme/x",
            "ghcr.io/beta/y",
            "Bad/Image",
        ],
    );
    let r = s.root.display();
    for line in [
        "note  image \"registry.example.org:5000/team/app:1.0\": the kubelet sends \"registry.example.org:5000/team/app\" (domain registry.example.org:5000, path team/app)".to_owned(),
        format!("ok    image \"registry.example.org:5000/team/app:1.0\": answered by {r}/registry.example.org:5000.json (registry file): key \"registry.example.org:5000\", cacheKeyType Registry, cacheDuration 1h0m0s; the kubelet would accept the answer and use it for this image"),
        "note  image \"nginx\": the kubelet sends \"docker.io/library/nginx\" (domain docker.io, path library/nginx)".to_owned(),
        format!("ok    image \"nginx\": answered by {r}/docker.io.json (registry file): key \"docker.io\", cacheKeyType Registry, cacheDuration 5m0s; the kubelet would accept the answer and use it for this image"),
        format!("ok    image \"ghcr.io/acme/x\": answered by {r}/ghcr.io/acme.json (repository file for ghcr.io/acme): key \"ghcr.io/acme/x\", cacheKeyType Image, cacheDuration 5m0s; the kubelet would accept the answer and use it for this image"),
        format!("note  image \"ghcr.io/beta/y\": no credential file answers it (tried {r}/ghcr.io/beta.json, {r}/ghcr.io.json, {r}/*.io.json); the plugin answers no credentials, cacheDuration 0s"),
        "FAIL  image \"Bad/Image\": invalid: repository name must be lowercase".to_owned(),
    ] {
        assert!(out.stdout.lines().any(|l| l == line), "missing {line:?} in\n{}", out.stdout);
    }
    assert_eq!(out.code, 1, "the invalid image fails the check");
    let fine = check(&s, &["nginx", "registry.example.org/app"]);
    assert_eq!(fine.code, 0, "{}", fine.stdout);
}

const CONFIG: &str = r#"{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{"name":"generic-credential-provider","matchImages":["registry.example.org","registry.example.org:5000","*.example.com","docker.io","ghcr.io/acme"],"defaultCacheDuration":"5m","apiVersion":"credentialprovider.kubelet.k8s.io/v1","args":["--credroot","ROOT"]}]}"#;

fn with_config(s: &Scratch, config: &str) -> Run {
    let path = s.dir.join("config.json");
    fs::write(&path, config.replace("ROOT", s.root_str())).unwrap();
    check(s, &["--kubelet-config", path.to_str().unwrap()])
}

#[test]
fn a_matching_kubelet_config_passes() {
    let s = good_root("check-config-ok");
    let out = with_config(&s, CONFIG);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(
        out.stdout.contains("ok    kubelet config "),
        "{}",
        out.stdout
    );
}

#[test]
fn each_config_mistake_is_reported_with_its_value() {
    let cases = [
        (CONFIG.replace("\"docker.io\"", "\"https://docker.io\""), "\"https://docker.io\" has a scheme"),
        (CONFIG.replace("\"ghcr.io/acme\"", "\"ghcr.io/*\""), "\"ghcr.io/*\" has a glob in its path"),
        (CONFIG.replace("\"registry.example.org:5000\"", "\"registry.example.org:*\""), "\"registry.example.org:*\": match image is invalid (InvalidPort) (a glob in the port is not allowed; list each port)"),
        (CONFIG.replace("\"name\":\"generic-credential-provider\"", "\"name\":\"generic-credential-provider.exe\""), "providers[0].name \"generic-credential-provider.exe\" is not this binary's file name \"generic-credential-provider\""),
        (
            CONFIG.replace("\"credentialprovider.kubelet.k8s.io/v1\",\"args\"", "\"credentialprovider.kubelet.k8s.io/v1beta1\",\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"aud\",\"requireServiceAccount\":true,\"cacheType\":\"Token\"},\"args\""),
            "tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version (found \"credentialprovider.kubelet.k8s.io/v1beta1\")",
        ),
        (CONFIG.replace("\"5m\"", "\"-1m\""), "defaultCacheDuration: Invalid value: \"-1m\": must be greater than or equal to 0"),
        ("apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\n".to_owned(), "not JSON (YAML?)"),
    ];
    for (config, needle) in cases {
        let s = good_root("check-config-bad");
        let out = with_config(&s, &config);
        assert_eq!(out.code, 1, "{needle}");
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("FAIL  kubelet config ") && l.contains(needle)),
            "{needle}:\n{}",
            out.stdout
        );
    }
}

#[test]
fn a_credential_file_no_match_image_routes_is_reported() {
    let s = good_root("check-uncovered");
    // Only the plain host is listed: the :5000 file can never be asked for.
    let out = with_config(&s, &CONFIG.replace(",\"registry.example.org:5000\"", ""));
    assert_eq!(out.code, 1);
    let line = format!(
        "FAIL  {}/registry.example.org:5000.json: no matchImages entry of provider \"generic-credential-provider\" routes its images to this plugin (add one, with the port if it has one)",
        s.root.display()
    );
    assert!(out.stdout.lines().any(|l| l == line), "{}", out.stdout);
    assert_eq!(
        out.stdout.matches("no matchImages entry").count(),
        1,
        "{}",
        out.stdout
    );
}

#[test]
fn without_permission_it_says_so() {
    require!(Need::Root);
    let s = good_root("check-perm");
    let mut setpriv = Command::new("setpriv");
    setpriv.args(["--reuid=1234", "--regid=1234", "--clear-groups"]);
    setpriv.args(runner());
    let out = setpriv
        .args([&bin(), "check", "--credroot", s.root_str()])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout.contains("Permission denied (run check as root to read credential files)"),
        "{stdout}"
    );
    assert!(!stdout.contains(PASSWORD));
}

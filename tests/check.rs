//! `check` (issue 8): the operator's audit with the plugin's own code paths.
//! Never a secret in its output, whatever it finds.

use crate::util::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

const PASSWORD: &str = "check-pw-7a1d9e";
/// An `env` value in a kubelet config, which may be a secret too.
const ENV_SECRET: &str = "env-s3cr3t-41c7";

fn check(s: &Scratch, extra: &[&str]) -> Run {
    let mut args = vec!["--credroot", s.root_str()];
    args.extend(extra);
    check_only(&args)
}

/// `check` with exactly these arguments; never a secret, never stderr.
fn check_only(extra: &[&str]) -> Run {
    let mut args = vec!["check"];
    args.extend(extra);
    let out = run(&args, b"");
    out.never_shows(PASSWORD);
    out.never_shows(ENV_SECRET);
    assert_eq!(out.stderr, "");
    out
}

/// Asserts that `out` has exactly this line.
#[track_caller]
fn has(out: &Run, line: &str) {
    assert!(
        out.stdout.lines().any(|l| l == line),
        "missing {line:?} in\n{}",
        out.stdout
    );
}

/// Asserts that no line of `out` contains `needle`.
#[track_caller]
fn lacks(out: &Run, needle: &str) {
    assert!(
        !out.stdout.contains(needle),
        "unexpected {needle:?} in\n{}",
        out.stdout
    );
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

/// [`CONFIG`] as most people write it, plus a second provider.
const CONFIG_YAML: &str = "\
# Written by an image builder.
---
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: generic-credential-provider
    matchImages:
    - registry.example.org
    - registry.example.org:5000
    - '*.example.com'
    - docker.io
    - ghcr.io/acme
    defaultCacheDuration: 5m  # the plugin's own default
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: [--credroot, ROOT]
  - name: ecr-credential-provider
    matchImages: [\"*.dkr.ecr.*.amazonaws.com\"]
    defaultCacheDuration: 12h
    apiVersion: credentialprovider.kubelet.k8s.io/v1
";

/// The second provider of [`CONFIG_YAML`], in JSON.
const OTHER_PROVIDER: &str = r#"{"name":"ecr-credential-provider","matchImages":["*.dkr.ecr.*.amazonaws.com"],"defaultCacheDuration":"12h","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}"#;

/// Writes `<scratch>/<name>` with `ROOT` replaced by the root; its path.
fn write_config(s: &Scratch, name: &str, config: &str) -> String {
    let path = s.dir.join(name);
    fs::write(&path, config.replace("ROOT", s.root_str())).unwrap();
    path.to_str().unwrap().to_owned()
}

fn with_config(s: &Scratch, config: &str) -> Run {
    let path = write_config(s, "config.json", config);
    check(s, &["--kubelet-config", &path])
}

/// [`CONFIG`] with a provider field's JSON text replaced.
fn config_with(old: &str, new: &str) -> String {
    assert!(CONFIG.contains(old), "{old}");
    CONFIG.replace(old, new)
}

/// [`CONFIG`] with these fields added to the provider.
fn config_plus(fields: &str) -> String {
    config_with("\"args\"", &format!("{fields},\"args\""))
}

const TOKEN_ATTRIBUTES: &str = r#""tokenAttributes":{"serviceAccountTokenAudience":"registry.example.org","cacheType":"ServiceAccount","requireServiceAccount":false}"#;

#[test]
fn a_matching_kubelet_config_passes() {
    let s = good_root("check-config-ok");
    let out = with_config(&s, CONFIG);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let c = s.dir.join("config.json");
    let c = c.display();
    has(&out, &format!("ok    kubelet config {c}: valid"));
    has(
        &out,
        &format!(
            "ok    kubelet config {c}: providers[0] runs this binary with credential root {}",
            s.root.display()
        ),
    );
    lacks(&out, "a directory of configs");
    // The same root in check's --credroot and in the args: audited once.
    assert_eq!(out.stdout.matches("ok    credential root").count(), 1);
    lacks(&out, "is not the root the kubelet uses");
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
        ("apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\n".to_owned(), "providers: Required value: at least 1 item in plugins is required"),
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
    has(
        &out,
        &format!(
            "FAIL  {}/registry.example.org:5000.json: no matchImages entry of this binary's provider routes its images to this plugin (add one, with the port if it has one)",
            s.root.display()
        ),
    );
    assert_eq!(
        out.stdout.matches("no matchImages entry").count(),
        1,
        "{}",
        out.stdout
    );
}

#[test]
fn args_plugin_mode_refuses_fail_quoting_the_argument_and_the_reason() {
    let cases: [(&str, &str); 5] = [
        (
            r#"["--credroot","relative/dir"]"#,
            r#"providers[0].args: plugin mode refuses them, so every pull fails: --credroot "relative/dir" must be an absolute path without . or .. components; see --help"#,
        ),
        (
            r#"["--credroot","ROOT","--log-facility","local9"]"#,
            r#"providers[0].args: plugin mode refuses them, so every pull fails: unknown --log-facility "local9" (use authpriv, auth, user, daemon or local0..local7); see --help"#,
        ),
        (
            r#"["--credroot","ROOT","--password=hunter2"]"#,
            r#"providers[0].args: plugin mode refuses them, so every pull fails: unknown option "--password"; see --help"#,
        ),
        (
            r#"["check","--credroot","ROOT"]"#,
            r#"providers[0].args: "check" makes the plugin run another command than plugin mode, so it never answers and every pull fails"#,
        ),
        (
            r#"["--credroot","ROOT","--help"]"#,
            r#"providers[0].args: "--help" makes the plugin run another command than plugin mode, so it never answers and every pull fails"#,
        ),
    ];
    for (args, line) in cases {
        let s = good_root("check-args");
        let out = with_config(&s, &config_with(r#"["--credroot","ROOT"]"#, args));
        let c = s.dir.join("config.json");
        has(
            &out,
            &format!("FAIL  kubelet config {}: {line}", c.display()),
        );
        lacks(&out, "hunter2");
        lacks(&out, "runs this binary with credential root");
        assert_eq!(out.code, 1);
    }
}

#[test]
fn a_config_that_passes_is_one_the_plugin_runs_with() {
    let s = good_root("check-runs");
    let sock = s.dir.join("no-syslog");
    let args = [
        "--credroot",
        s.root_str(),
        "--log-facility",
        "local3",
        "--log-socket",
        sock.to_str().unwrap(),
    ];
    let json_args = format!("[\"{}\"]", args.join("\",\""));
    let out = with_config(&s, &config_with(r#"["--credroot","ROOT"]"#, &json_args));
    assert_eq!(out.code, 0, "{}", out.stdout);
    // The kubelet runs the binary with exactly the provider's args.
    run(&args, request("registry.example.org/app").as_bytes()).answered(
        &Expect::registry("registry.example.org")
            .creds("u", PASSWORD)
            .json(),
    );
}

#[test]
fn the_root_the_args_name_is_audited_and_a_different_credroot_too() {
    let s = good_root("check-two-roots");
    let other = Scratch::new("check-two-roots-other");
    other.cred("quay.io.json", "u", PASSWORD);
    // check is told the other root; the kubelet uses the one in the args.
    let path = write_config(&s, "config.json", CONFIG);
    let out = check_only(&["--credroot", other.root_str(), "--kubelet-config", &path]);
    let (r, o) = (s.root.display(), other.root.display());
    has(
        &out,
        &format!(
            "note  --credroot {o} is not the root the kubelet uses: its provider args name {r}; both are audited"
        ),
    );
    has(&out, &format!("ok    credential root {r}"));
    has(&out, &format!("ok    credential root {o}"));
    has(
        &out,
        &format!(
            "ok    {r}/registry.example.org.json: answers registry.example.org, cacheDuration 5m0s"
        ),
    );
    // Without --credroot, only the args' root: not the default one.
    let out = check_only(&["--kubelet-config", &path]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    has(&out, &format!("ok    credential root {r}"));
    lacks(&out, "/etc/kubernetes/registries");
    lacks(&out, "is not the root the kubelet uses");
}

#[test]
fn env_gets_a_note_that_names_no_value() {
    let s = good_root("check-env");
    let c = s.dir.join("config.json");
    let line = format!(
        "note  kubelet config {}: providers[0].env: the plugin reads no environment, so these variables change nothing (pass flags in args)",
        c.display()
    );
    let out = with_config(
        &s,
        &config_plus(&format!(
            r#""env":[{{"name":"REGISTRY_TOKEN","value":"{ENV_SECRET}"}}]"#
        )),
    );
    has(&out, &line);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let out = with_config(&s, CONFIG);
    lacks(&out, "providers[0].env");
}

#[test]
fn the_same_config_as_json_yaml_or_a_directory_gives_the_same_findings() {
    let s = good_root("check-forms");
    // One mistake of each kind that shows in the findings.
    let json = format!(
        "{},{OTHER_PROVIDER}]}}",
        CONFIG
            .replace(",\"docker.io\"", ",\"https://docker.io\"")
            .strip_suffix("]}")
            .unwrap()
    );
    let yaml = CONFIG_YAML.replace("- docker.io", "- https://docker.io");
    let findings = |out: &Run, file: &str| -> Vec<String> {
        out.stdout
            .lines()
            .filter(|l| l.contains("kubelet config") && !l.contains("a directory of configs"))
            .map(|l| l.replace(file, "CONFIG"))
            .collect()
    };
    let j = write_config(&s, "config.json", &json);
    let from_json = check(&s, &["--kubelet-config", &j]);
    let y = write_config(&s, "config.yaml", &yaml);
    let from_yaml = check(&s, &["--kubelet-config", &y]);
    // As a directory: ours in one file, the other provider in the next.
    let dir = s.dir.join("credential-providers.d");
    fs::create_dir(&dir).unwrap();
    let (ours, other) = yaml.split_at(yaml.find("  - name: ecr").unwrap());
    let head = "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n";
    fs::write(dir.join("10-ours.yml"), ours.replace("ROOT", s.root_str())).unwrap();
    fs::write(dir.join("20-ecr.yaml"), format!("{head}{other}")).unwrap();
    let d = dir.to_str().unwrap();
    let from_dir = check(&s, &["--kubelet-config", d]);
    let expected = [
        "FAIL  kubelet config CONFIG: providers[0].matchImages: \"https://docker.io\" has a scheme; the kubelet prepends https:// itself, so it never matches (drop the scheme)".to_owned(),
        format!("ok    kubelet config CONFIG: providers[0] runs this binary with credential root {}", s.root.display()),
    ];
    assert_eq!(findings(&from_json, &j), expected, "{}", from_json.stdout);
    assert_eq!(findings(&from_yaml, &y), expected, "{}", from_yaml.stdout);
    let per_file: Vec<String> = findings(&from_dir, d)
        .iter()
        .map(|l| l.replace("CONFIG/10-ours.yml", "CONFIG"))
        .filter(|l| !l.contains("20-ecr.yaml"))
        .collect();
    assert_eq!(per_file, expected, "{}", from_dir.stdout);
    has(
        &from_dir,
        &format!("ok    kubelet config {d}/20-ecr.yaml: valid"),
    );
    for out in [&from_json, &from_yaml, &from_dir] {
        assert_eq!(out.code, 1);
        // The other FAIL: docker.io.json, which the broken entry no longer routes.
        assert_eq!(out.stdout.matches("FAIL").count(), 2, "{}", out.stdout);
        assert!(out.stdout.contains("docker.io.json: no matchImages entry"));
    }
}

#[test]
fn a_yaml_config_with_a_feature_outside_the_subset_fails_naming_line_and_feature() {
    let s = good_root("check-yaml-bad");
    let cases = [
        (
            CONFIG_YAML.replace(
                "    args: [--credroot, ROOT]",
                "    args: &args [--credroot, ROOT]",
            ),
            "line 15, column 11: anchors (&name) are not supported: write the value out",
        ),
        (
            CONFIG_YAML.replace(
                "    defaultCacheDuration: 12h",
                "    defaultCacheDuration: !!str 12h",
            ),
            "line 18, column 27: tags (!tag) are not supported: remove the tag, and quote the value if it must be a string",
        ),
        (
            CONFIG_YAML.replace("    - docker.io", "\t- docker.io"),
            "line 11, column 1: a tab where YAML needs spaces (indentation, or right after ':' or '-'): use spaces",
        ),
        (
            format!("{CONFIG_YAML}---\napiVersion: v1\n"),
            "line 20, column 1: a second document (---): the kubelet reads only the first; keep one document per file",
        ),
        (
            CONFIG_YAML.replace(
                "    defaultCacheDuration: 12h",
                "    defaultCacheDuration: >\n      12h",
            ),
            "line 18, column 27: block scalars (| and >) are not supported: write the value as a quoted string on one line",
        ),
        (
            CONFIG_YAML.replace(
                "    defaultCacheDuration: 12h",
                "    defaultCacheDuration: 12h\n    defaultCacheDuration: 1h",
            ),
            "line 19, column 5: duplicate key \"defaultCacheDuration\" in one mapping: the kubelet refuses a key given twice; keep one",
        ),
    ];
    let y = s.dir.join("config.yaml");
    for (yaml, error) in cases {
        let out = with_config_named(&s, "config.yaml", &yaml);
        has(
            &out,
            &format!("FAIL  kubelet config {}: {error}", y.display()),
        );
        assert_eq!(out.code, 1);
    }
    // A key given twice in JSON: the kubelet's strict decoding refuses it too.
    let out = with_config(&s, &config_plus(r#""defaultCacheDuration":"1m""#));
    has(
        &out,
        &format!(
            "FAIL  kubelet config {}: line 1, column 317: duplicate key \"defaultCacheDuration\" in one mapping: the kubelet refuses a key given twice; keep one",
            s.dir.join("config.json").display()
        ),
    );
    let out = with_config_named(&s, "config.yaml", CONFIG_YAML);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

fn with_config_named(s: &Scratch, name: &str, config: &str) -> Run {
    let path = write_config(s, name, config);
    check(s, &["--kubelet-config", &path])
}

#[test]
fn yaml_traps_are_noted_where_the_kubelet_reads_them_otherwise_but_env_values_never() {
    let s = good_root("check-yaml-notes");
    let yaml = CONFIG_YAML.replace(
        "    args: [--credroot, ROOT]",
        &format!(
            "    args: [--credroot, ROOT, --log-facility, on]\n    env:\n    - name: A\n      value: {ENV_SECRET}\n    - name: B\n      value: 0755"
        ),
    );
    let out = with_config_named(&s, "config.yaml", &yaml);
    let y = s.dir.join("config.yaml");
    let y = y.display();
    has(
        &out,
        &format!(
            "note  kubelet config {y}: line 15: plain \"on\" is read as the boolean true; quote it if you meant a string"
        ),
    );
    has(
        &out,
        &format!("FAIL  kubelet config {y}: providers[0].args: every item must be a string"),
    );
    has(
        &out,
        &format!("FAIL  kubelet config {y}: providers[0].env[1].value must be a string"),
    );
    lacks(&out, "0755");
    lacks(&out, "493");
    // Quoted, they read as written: no note, and the config passes.
    let quoted = yaml
        .replace(", on]", ", \"local3\"]")
        .replace("0755", "'0755'");
    let out = with_config_named(&s, "config.yaml", &quoted);
    lacks(&out, "is read as");
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_config_directory_is_read_as_the_kubelet_reads_it() {
    let s = good_root("check-config-dir");
    let dir = s.dir.join("conf.d");
    fs::create_dir(&dir).unwrap();
    let d = dir.to_str().unwrap();
    let out = check(&s, &["--kubelet-config", d]);
    has(
        &out,
        &format!(
            "FAIL  kubelet config {d}: no configuration files found in directory, so the kubelet fails to start (it reads *.json, *.yaml and *.yml)"
        ),
    );
    has(
        &out,
        &format!(
            "note  kubelet config {d}: a directory of configs needs kubelet 1.34 or later (older ones fail to start)"
        ),
    );
    // Only *.json, *.yaml and *.yml, in lexical order; never a subdirectory.
    fs::write(dir.join("README.md"), "notes").unwrap();
    fs::write(dir.join("old.json.bak"), "{").unwrap();
    fs::create_dir(dir.join("sub.yaml")).unwrap();
    fs::write(dir.join("b.json"), CONFIG.replace("ROOT", s.root_str())).unwrap();
    fs::write(
        dir.join("a.yaml"),
        "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders: []\n",
    )
    .unwrap();
    let out = check(&s, &["--kubelet-config", d]);
    let ignored =
        "ignored (the kubelet reads only *.json, *.yaml and *.yml files, and no subdirectory)";
    for name in ["README.md", "old.json.bak", "sub.yaml"] {
        has(&out, &format!("note  kubelet config {d}/{name}: {ignored}"));
    }
    lacks(&out, "no configuration files found");
    let a = out
        .stdout
        .find(&format!("{d}/a.yaml: providers: Required value"))
        .unwrap();
    let b = out.stdout.find(&format!("{d}/b.json: valid")).unwrap();
    assert!(a < b, "lexical order:\n{}", out.stdout);
    assert_eq!(out.code, 1, "a.yaml has no providers");
    // A provider name given twice across files.
    fs::write(dir.join("a.yaml"), CONFIG.replace("ROOT", s.root_str())).unwrap();
    let out = check(&s, &["--kubelet-config", d]);
    has(
        &out,
        &format!(
            "FAIL  kubelet config {d}: duplicate provider name \"generic-credential-provider\" found in configuration file(s)"
        ),
    );
    fs::remove_file(dir.join("a.yaml")).unwrap();
    let out = check(&s, &["--kubelet-config", d]);
    lacks(&out, "duplicate provider name");
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn a_config_reached_through_a_symbolic_link_is_followed_only_for_a_directory() {
    let s = good_root("check-config-link");
    let dir = s.dir.join("conf.d");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("gcp.json"), CONFIG.replace("ROOT", s.root_str())).unwrap();
    let dir_link = s.dir.join("providers");
    std::os::unix::fs::symlink(&dir, &dir_link).unwrap();
    let out = check(&s, &["--kubelet-config", dir_link.to_str().unwrap()]);
    has(
        &out,
        &format!(
            "ok    kubelet config {}/gcp.json: valid",
            dir_link.display()
        ),
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    // A linked file is not read: the kubelet would, so check says it cannot.
    let file_link = s.dir.join("config.json");
    std::os::unix::fs::symlink(dir.join("gcp.json"), &file_link).unwrap();
    let out = check(&s, &["--kubelet-config", file_link.to_str().unwrap()]);
    has(
        &out,
        &format!(
            "FAIL  kubelet config {}: a symbolic link, which check does not follow (the kubelet does): pass its target to --kubelet-config",
            file_link.display()
        ),
    );
    let out = check(
        &s,
        &["--kubelet-config", dir.join("gcp.json").to_str().unwrap()],
    );
    lacks(&out, "symbolic link");
}

#[test]
fn a_config_without_this_binary_quotes_the_names_it_has() {
    let s = good_root("check-no-ours");
    let out = with_config(
        &s,
        &format!(
            r#"{{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{OTHER_PROVIDER},{}]}}"#,
            OTHER_PROVIDER.replace("ecr-credential-provider", "gcp-provider")
        ),
    );
    has(
        &out,
        &format!(
            "FAIL  kubelet config {}: no provider is named \"generic-credential-provider\" (this binary's file name), so the kubelet never runs it; the providers are \"ecr-credential-provider\", \"gcp-provider\"",
            s.dir.join("config.json").display()
        ),
    );
    let out = with_config(&s, CONFIG);
    lacks(&out, "no provider is named");
}

#[test]
fn an_image_or_match_image_with_a_port_that_only_a_portless_file_answers_gets_a_hint() {
    let s = Scratch::new("check-port-hint");
    s.cred("registry.example.org.json", "u", PASSWORD);
    let r = s.root.display();
    let hint = format!(
        "{r}/registry.example.org.json answers the host without a port only; did you mean registry.example.org:5000.json?"
    );
    let out = check(&s, &["registry.example.org:5000/team/app"]);
    has(
        &out,
        &format!("note  image \"registry.example.org:5000/team/app\": {hint}"),
    );
    let path = write_config(&s, "config.json", CONFIG);
    let out = check(&s, &["--kubelet-config", &path]);
    has(
        &out,
        &format!(
            "note  kubelet config {path}: providers[0].matchImages \"registry.example.org:5000\": {hint}"
        ),
    );
    // With the port's own file, or an image without a port: no hint.
    s.cred("registry.example.org:5000.json", "u", PASSWORD);
    let out = check(
        &s,
        &[
            "--kubelet-config",
            &path,
            "registry.example.org:5000/team/app",
            "registry.example.org/app",
        ],
    );
    lacks(&out, "did you mean");
}

#[test]
fn a_wildcard_of_two_labels_an_upper_case_repository_and_a_docker_config_get_their_fix() {
    let s = good_root("check-name-hints");
    s.cred("*.*.example.org.json", "u", PASSWORD);
    s.cred("ghcr.io/Team.json", "u", PASSWORD);
    s.cred("ghcr.io/Acme/app.json", "u", PASSWORD);
    s.file(
        "config.json",
        &format!(
            r#"{{"auths":{{"registry.example.org":{{"username":"u","password":"{PASSWORD}"}}}}}}"#
        ),
        0o600,
    );
    let out = check(&s, &[]);
    let r = s.root.display();
    for line in [
        format!(
            "FAIL  {r}/*.*.example.org.json: \"*.*.example.org\" can never match: a wildcard file answers exactly one more DNS label (*.example.org.json answers x.example.org, never x.y.example.org); write one file per host"
        ),
        format!(
            "FAIL  {r}/ghcr.io/Team.json: \"Team\" can never match: image paths are lowercase; rename it to team.json"
        ),
        format!(
            "FAIL  {r}/ghcr.io/Acme: \"Acme\" can never match: image paths are lowercase; rename it to acme"
        ),
        format!(
            "FAIL  {r}/config.json is a Docker config.json (it has \"auths\"), not a credential file: move it out of the root, then run generic-credential-provider import --credroot {r} --docker-config FILE"
        ),
    ] {
        has(&out, &line);
    }
    // Their near neighbours: one label, a name that is no component at all,
    // a credential file with an unknown key.
    let s = good_root("check-name-hints-not");
    s.cred("*.example.org.json", "u", PASSWORD);
    s.cred("ghcr.io/-x.json", "u", PASSWORD);
    s.file(
        "other.example.org.json",
        r#"{"username":"u","password":"p","auth":"x"}"#,
        0o600,
    );
    let out = check(&s, &[]);
    let r = s.root.display();
    has(
        &out,
        &format!(
            "FAIL  {r}/ghcr.io/-x.json: \"-x\" is no valid repository path component (lowercase letters, digits, . _ __ -)"
        ),
    );
    for needle in ["can never match", "Docker config.json", "one file per host"] {
        lacks(&out, needle);
    }
}

#[test]
fn a_kubernetes_secret_volume_is_explained_with_how_to_copy_its_files() {
    let s = Scratch::new("check-projection");
    let stamp = "..2026_01_02_03_04_05.123456789";
    let data = s.root.join(stamp);
    fs::create_dir(&data).unwrap();
    fs::write(
        data.join("registry.example.org.json"),
        format!(r#"{{"username":"u","password":"{PASSWORD}"}}"#),
    )
    .unwrap();
    std::os::unix::fs::symlink(stamp, s.root.join("..data")).unwrap();
    s.symlink(
        Path::new("..data/registry.example.org.json"),
        "registry.example.org.json",
    );
    let r = s.root.display();
    let line = format!(
        "FAIL  {r} is a Kubernetes Secret volume (it has ..data): its files are symbolic links into a timestamped directory, and the plugin never follows a link; copy each file into a credential root of its own, e.g. generic-credential-provider put --credroot DIR --json HOST < {r}/HOST.json"
    );
    let out = check(&s, &[]);
    has(&out, &line);
    lacks(&out, stamp);
    // A Secret volume is world-writable and sticky: still explained as one.
    fs::set_permissions(&s.root, fs::Permissions::from_mode(0o1777)).unwrap();
    let out = check(&s, &[]);
    has(&out, &line);
    fs::set_permissions(&s.root, fs::Permissions::from_mode(0o700)).unwrap();
    // A name starting with .. alone is no volume.
    fs::remove_file(s.root.join("..data")).unwrap();
    let out = check(&s, &[]);
    lacks(&out, "Secret volume");
}

#[test]
fn a_root_in_a_shared_directory_is_told_to_move_never_to_chmod() {
    let s = Scratch::new("check-shared");
    let shared = s.dir.join("shared");
    fs::create_dir(&shared).unwrap();
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o1777)).unwrap();
    let root = shared.join("registries");
    fs::create_dir(&root).unwrap();
    let root = root.to_str().unwrap();
    let out = check_only(&["--credroot", root]);
    let sh = shared.display();
    has(
        &out,
        &format!(
            "FAIL  directory {sh} is shared (mode 1777: anyone may create entries in it), so no credential root can live in it; move the root to a directory of its own, such as /etc/kubernetes/registries, and leave the mode of {sh} alone"
        ),
    );
    lacks(&out, "chmod");
    // Inside the root, a shared directory is a mistake of its own: chmod it.
    let s = good_root("check-shared-inside");
    fs::create_dir(s.root.join("ghcr.io/beta")).unwrap();
    fs::set_permissions(
        s.root.join("ghcr.io/beta"),
        fs::Permissions::from_mode(0o1777),
    )
    .unwrap();
    let out = check(&s, &[]);
    let beta = s.root.join("ghcr.io/beta");
    has(
        &out,
        &format!(
            "FAIL  directory {b} is writable by group or others (mode 1777); run chmod go-w {b}",
            b = beta.display()
        ),
    );
    lacks(&out, "is shared");
    // Group-writable without the sticky bit: a mistake, fixed with chmod.
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o770)).unwrap();
    let out = check_only(&["--credroot", root]);
    has(
        &out,
        &format!(
            "FAIL  directory {sh} is writable by group or others (mode 0770); run chmod go-w {sh}"
        ),
    );
}

#[test]
fn a_default_cache_duration_other_than_five_minutes_is_noted_as_unused() {
    let s = good_root("check-default-duration");
    let out = with_config(&s, &config_with("\"5m\"", "\"12h\""));
    has(
        &out,
        &format!(
            "note  kubelet config {}: providers[0].defaultCacheDuration \"12h\" is never used: every answer carries its file's duration (default 5m0s); set \"duration\" in the credential files",
            s.dir.join("config.json").display()
        ),
    );
    assert_eq!(out.code, 0);
    let out = with_config(&s, &config_with("\"5m\"", "\"300s\""));
    lacks(&out, "defaultCacheDuration");
}

#[test]
fn namespace_files_need_a_provider_with_token_attributes() {
    let s = good_root("check-namespaces");
    s.cred("namespaces/team-a/registry.example.org.json", "u", PASSWORD);
    let line = format!(
        "FAIL  {}/namespaces: no provider of this binary has tokenAttributes, so the kubelet never sends a service-account token and these files are never used (add tokenAttributes with serviceAccountTokenAudience, cacheType ServiceAccount and requireServiceAccount)",
        s.root.display()
    );
    let out = with_config(&s, CONFIG);
    has(&out, &line);
    assert_eq!(out.code, 1);
    let with_token = config_plus(TOKEN_ATTRIBUTES).replace(
        r#"["--credroot","ROOT"]"#,
        r#"["--credroot","ROOT","--service-account-audience","registry.example.org"]"#,
    );
    let out = with_config(&s, &with_token);
    lacks(&out, "no provider of this binary has tokenAttributes");
    assert_eq!(out.code, 0, "{}", out.stdout);
    // Without a kubelet config check cannot know.
    let out = check(&s, &[]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn token_attributes_are_checked_against_the_args() {
    let s = good_root("check-token");
    let c = s.dir.join("config.json");
    let c = c.display();
    let audience_args =
        |aud: &str| format!(r#"["--credroot","ROOT","--service-account-audience","{aud}"]"#);
    let with = |args: &str, token: &str| {
        let config = config_plus(token).replace(r#"["--credroot","ROOT"]"#, args);
        with_config(&s, &config)
    };
    let require = TOKEN_ATTRIBUTES.replace("false", "true");
    let require_line = format!(
        "note  kubelet config {c}: providers[0].tokenAttributes.requireServiceAccount is true: the kubelet does not run the plugin for a pod without a service account (a static pod), so such pods get no credentials from it, not even the root's"
    );
    let mismatch_line = format!(
        "FAIL  kubelet config {c}: providers[0].args: --service-account-audience \"other\" is not tokenAttributes.serviceAccountTokenAudience \"registry.example.org\", so the plugin refuses every token the kubelet sends"
    );
    let advice_line = format!(
        "note  kubelet config {c}: providers[0].args: add \"--service-account-audience\", \"registry.example.org\", so the plugin refuses a token meant for another audience"
    );
    let out = with(&audience_args("other"), &require);
    has(&out, &require_line);
    has(&out, &mismatch_line);
    assert_eq!(out.code, 1);
    let out = with(r#"["--credroot","ROOT"]"#, TOKEN_ATTRIBUTES);
    has(&out, &advice_line);
    lacks(&out, "requireServiceAccount is true");
    assert_eq!(out.code, 0);
    let out = with(&audience_args("registry.example.org"), TOKEN_ATTRIBUTES);
    for line in [&require_line, &mismatch_line, &advice_line] {
        lacks(&out, line);
    }
    assert_eq!(out.code, 0);
}

#[test]
fn quiet_prints_only_failures_and_the_summary() {
    let s = good_root("check-quiet");
    s.file(
        "open.example.org.json",
        r#"{"username":"u","password":"p"}"#,
        0o644,
    );
    let out = check(&s, &["--quiet"]);
    assert_eq!(
        out.stdout,
        format!(
            "FAIL  {r}/open.example.org.json is readable by group or others (mode 0644); run chmod 600 {r}/open.example.org.json\nsummary: 6 credential file(s), 5 usable; 1 problem(s): NOT usable\n",
            r = s.root.display()
        )
    );
    assert_eq!(out.code, 1);
    fs::remove_file(s.root.join("open.example.org.json")).unwrap();
    let out = check(&s, &["--quiet", "nginx"]);
    assert_eq!(
        out.stdout,
        "summary: 5 credential file(s), 5 usable; 0 problem(s): all usable\n"
    );
    assert_eq!(out.code, 0);
}

#[test]
fn help_as_a_subcommand_is_help() {
    let help = run(&["help"], b"");
    assert_eq!((help.code, help.stderr.as_str()), (0, ""));
    let flag = run(&["--help"], b"");
    assert_eq!(help.stdout, flag.stdout);
    assert!(
        help.stdout.contains("--kubelet-config FILE|DIR"),
        "{}",
        help.stdout
    );
    assert!(help.stdout.contains("--quiet"), "{}", help.stdout);
    let check_help = run(&["check", "--help"], b"");
    assert_eq!(check_help.stdout, flag.stdout);
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

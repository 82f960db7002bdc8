//! Registry mirrors (issue 20): `mirrors/<upstream>.json` answers the
//! mirror's credentials first and what `then` says second, each under a key
//! that matches the image, in the order the kubelet's reverse-sorted lookup
//! tries them.

use crate::util::*;

const IMAGE: &str = "docker.io/library/nginx";
const MIRROR: &str = "mirror.internal:5000";
const MIRROR_PASSWORD: &str = "mirror-pw-5e1d";
const HUB_PASSWORD: &str = "hub-pw-77a0";

fn response(key_type: &str, duration: &str, entries: &[(&str, &str, &str)]) -> String {
    let auth: Vec<String> = entries
        .iter()
        .map(|(key, user, pass)| format!(r#""{key}":{{"username":"{user}","password":"{pass}"}}"#))
        .collect();
    format!(
        r#"{{"kind":"CredentialProviderResponse","apiVersion":"{V1}","cacheKeyType":"{key_type}","cacheDuration":"{duration}","auth":{{{}}}}}"#,
        auth.join(",")
    )
}

fn mirror_file(s: &Scratch, rel: &str, then: &str) {
    s.file(
        rel,
        &format!(r#"{{"mirror":"{MIRROR}","then":"{then}"}}"#),
        0o600,
    );
}

/// The keys of an answer in the order the kubelet tries them: reverse-sorted.
fn kubelet_order(stdout: &str) -> Vec<String> {
    let auth = stdout.split(r#""auth":{"#).nth(1).unwrap();
    // Every key stands just before `":{"username"`; the text after the last
    // such marker holds none.
    let parts: Vec<&str> = auth.split(r#"":{"username""#).collect();
    let mut keys: Vec<String> = parts[..parts.len() - 1]
        .iter()
        .filter_map(|part| part.rsplit('"').next())
        .map(str::to_owned)
        .collect();
    keys.sort();
    keys.reverse();
    keys
}

#[test]
fn each_then_gives_the_mirror_first_and_the_fallback_second() {
    let s = Scratch::new("mirror-then");
    s.cred(&format!("{MIRROR}.json"), "mirroruser", MIRROR_PASSWORD);
    s.cred("docker.io.json", "hubuser", HUB_PASSWORD);
    for (then, second) in [
        ("upstream", Some(("hubuser", HUB_PASSWORD))),
        ("anonymous", Some(("", ""))),
        ("nothing", None),
    ] {
        mirror_file(&s, "mirrors/docker.io.json", then);
        let out = s.run(request(IMAGE).as_bytes());
        let mut entries = vec![("docker.io", "mirroruser", MIRROR_PASSWORD)];
        if let Some((user, pass)) = second {
            entries.push(("*.*", user, pass));
        }
        out.answered(&response("Registry", "5m0s", &entries));
        let order = kubelet_order(&out.stdout);
        assert_eq!(
            order.first().map(String::as_str),
            Some("docker.io"),
            "{then}: the mirror's entry is tried first"
        );
        assert_eq!(order.len(), entries.len());
    }
}

#[test]
fn short_docker_hub_names_and_other_upstreams_go_through_their_mirror() {
    let s = Scratch::new("mirror-names");
    s.cred(&format!("{MIRROR}.json"), "mirroruser", MIRROR_PASSWORD);
    mirror_file(&s, "mirrors/docker.io.json", "nothing");
    s.run(request("nginx").as_bytes()).answered(&response(
        "Registry",
        "5m0s",
        &[("docker.io", "mirroruser", MIRROR_PASSWORD)],
    ));
    // A port-qualified upstream keeps its port in the globbed key.
    s.cred("registry.example.org:5000.json", "up", "up-pw");
    mirror_file(&s, "mirrors/registry.example.org:5000.json", "upstream");
    s.run(request("registry.example.org:5000/team/app").as_bytes())
        .answered(&response(
            "Registry",
            "5m0s",
            &[
                ("registry.example.org:5000", "mirroruser", MIRROR_PASSWORD),
                ("*.*.*:5000", "up", "up-pw"),
            ],
        ));
}

#[test]
fn images_named_with_the_mirrors_own_host_are_answered_by_its_file_as_before() {
    let s = Scratch::new("mirror-own");
    s.cred(&format!("{MIRROR}.json"), "mirroruser", MIRROR_PASSWORD);
    mirror_file(&s, "mirrors/docker.io.json", "upstream");
    s.run(request(&format!("{MIRROR}/library/nginx")).as_bytes())
        .answered(
            &Expect::registry(MIRROR)
                .creds("mirroruser", MIRROR_PASSWORD)
                .json(),
        );
}

#[test]
fn a_per_repository_mirror_credential_keys_both_entries_per_image() {
    let s = Scratch::new("mirror-repo");
    s.cred(&format!("{MIRROR}/library.json"), "libuser", "lib-pw");
    s.cred("docker.io.json", "hubuser", HUB_PASSWORD);
    mirror_file(&s, "mirrors/docker.io.json", "upstream");
    let out = s.run(request(IMAGE).as_bytes());
    out.answered(&response(
        "Image",
        "5m0s",
        &[
            ("docker.io/library/nginx", "libuser", "lib-pw"),
            ("*.*/library/nginx", "hubuser", HUB_PASSWORD),
        ],
    ));
    assert_eq!(kubelet_order(&out.stdout)[0], "docker.io/library/nginx");
}

#[test]
fn a_namespace_scoped_mirror_and_mirror_credential_serve_only_that_namespace() {
    let s = Scratch::new("mirror-ns");
    s.cred(
        "namespaces/team-a/mirror.internal:5000.json",
        "team-a",
        "team-a-pw",
    );
    mirror_file(&s, "namespaces/team-a/mirrors/docker.io.json", "anonymous");
    s.cred("docker.io.json", "hubuser", HUB_PASSWORD);
    let team_a = request_with_token(IMAGE, &jwt("team-a", "default"));
    s.run(team_a.as_bytes()).answered(&response(
        "Registry",
        "5m0s",
        &[("docker.io", "team-a", "team-a-pw"), ("*.*", "", "")],
    ));
    // Another namespace has no mirror file: the root's own file answers.
    let team_b = request_with_token(IMAGE, &jwt("team-b", "default"));
    s.run(team_b.as_bytes()).answered(
        &Expect::registry("docker.io")
            .creds("hubuser", HUB_PASSWORD)
            .json(),
    );
    // No token: the root only, where there is no mirror file.
    s.run(request(IMAGE).as_bytes()).answered(
        &Expect::registry("docker.io")
            .creds("hubuser", HUB_PASSWORD)
            .json(),
    );
}

#[test]
fn the_shorter_duration_of_the_two_files_is_the_cache_duration() {
    let s = Scratch::new("mirror-duration");
    s.file(
        &format!("{MIRROR}.json"),
        &format!(r#"{{"username":"m","password":"{MIRROR_PASSWORD}","duration":"1h"}}"#),
        0o600,
    );
    s.file(
        "docker.io.json",
        &format!(r#"{{"username":"h","password":"{HUB_PASSWORD}","duration":"10m"}}"#),
        0o600,
    );
    mirror_file(&s, "mirrors/docker.io.json", "upstream");
    s.run(request(IMAGE).as_bytes()).answered(&response(
        "Registry",
        "10m0s",
        &[
            ("docker.io", "m", MIRROR_PASSWORD),
            ("*.*", "h", HUB_PASSWORD),
        ],
    ));
}

#[test]
fn a_mirror_without_a_credential_file_is_refused_not_skipped() {
    let s = Scratch::new("mirror-nocred");
    s.cred("docker.io.json", "hubuser", HUB_PASSWORD);
    mirror_file(&s, "mirrors/docker.io.json", "upstream");
    let out = s.run(request(IMAGE).as_bytes());
    let r = s.root.display();
    assert_eq!(
        out.refused(),
        format!(
            "{r}/mirrors/docker.io.json sends pulls through mirror {MIRROR}, but no credential file answers the image there; put one for {MIRROR} (nothing was answered, rather than the upstream's credentials alone)"
        )
    );
    out.never_shows(HUB_PASSWORD);
}

#[test]
fn a_broken_mirror_file_is_refused_naming_the_key() {
    let s = Scratch::new("mirror-broken");
    s.cred(&format!("{MIRROR}.json"), "mirroruser", MIRROR_PASSWORD);
    let r = s.root.display();
    for (body, why) in [
        (
            r#"{"mirror":"mirror.internal:5000","then":"sometimes"}"#,
            r#"has a "then" "sometimes"; it must be upstream, anonymous or nothing"#,
        ),
        (
            r#"{"mirror":"mirror.internal:5000"}"#,
            r#"has no key "then""#,
        ),
        (
            r#"{"mirror":"https://mirror.internal","then":"nothing"}"#,
            r#"has a "mirror" "https://mirror.internal" that is no registry host[:port] (no scheme, no path)"#,
        ),
        (
            r#"{"mirror":"mirror.internal:5000","then":"nothing","token":"s3cr3t-x"}"#,
            "has an unknown key (key 3, 5 bytes); the keys are mirror and then",
        ),
    ] {
        s.file("mirrors/docker.io.json", body, 0o600);
        let out = s.run(request(IMAGE).as_bytes());
        assert_eq!(out.refused(), format!("{r}/mirrors/docker.io.json {why}"));
        out.never_shows("s3cr3t-x");
        out.never_shows(MIRROR_PASSWORD);
    }
    // An unsafe mirror file is refused by the same trust rules.
    s.file(
        "mirrors/docker.io.json",
        &format!(r#"{{"mirror":"{MIRROR}","then":"nothing"}}"#),
        0o644,
    );
    let out = s.run(request(IMAGE).as_bytes());
    assert_eq!(
        out.refused(),
        format!(
            "{r}/mirrors/docker.io.json is readable by group or others (mode 0644); run chmod 600 {r}/mirrors/docker.io.json"
        )
    );
}

#[test]
fn check_lists_mirror_files_and_explains_an_image_through_its_mirror() {
    let s = Scratch::new("mirror-check");
    s.cred(&format!("{MIRROR}.json"), "mirroruser", MIRROR_PASSWORD);
    s.cred("docker.io.json", "hubuser", HUB_PASSWORD);
    mirror_file(&s, "mirrors/docker.io.json", "upstream");
    let out = run(&["check", "--credroot", s.root_str(), "nginx"], b"");
    let r = s.root.display();
    assert_eq!(out.code, 0, "{out:?}");
    for line in [
        format!(
            "ok    {r}/mirrors/docker.io.json: pulls of docker.io go through mirror {MIRROR}: its credentials first, then the upstream's own (then: upstream)"
        ),
        format!(
            "ok    image \"nginx\": through mirror {MIRROR} ({r}/mirrors/docker.io.json, for every pod on the node): first \"docker.io\" (the mirror's credentials from {r}/{MIRROR}.json), then \"*.*\" (the upstream's credentials from {r}/docker.io.json); cacheKeyType Registry, cacheDuration 5m0s; the kubelet tries them in this order"
        ),
        "note  mirrors: CRI-O does not pass request credentials to mirrors; give it the mirror's credentials in its own auth file (global_auth_file in crio.conf)".to_owned(),
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "missing {line:?} in\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("set server = \"https://<mirror>\""));
    out.never_shows(MIRROR_PASSWORD);
    out.never_shows(HUB_PASSWORD);
    // Without a mirror file there is no mirror note at all.
    std::fs::remove_file(s.root.join("mirrors/docker.io.json")).unwrap();
    let out = run(&["check", "--credroot", s.root_str(), "nginx"], b"");
    assert!(!out.stdout.contains("mirrors:"), "{}", out.stdout);
}

#[test]
fn check_fails_a_broken_mirror_file_and_a_mirror_without_credentials() {
    let s = Scratch::new("mirror-check-bad");
    let r = s.root.display();
    s.file(
        "mirrors/docker.io.json",
        r#"{"mirror":"m.io","then":"later"}"#,
        0o600,
    );
    s.file(
        "mirrors/not_a_host!.json",
        r#"{"mirror":"m.io","then":"nothing"}"#,
        0o600,
    );
    let out = run(&["check", "--credroot", s.root_str()], b"");
    assert_eq!(out.code, 1);
    for line in [
        format!(
            "FAIL  {r}/mirrors/docker.io.json has a \"then\" \"later\"; it must be upstream, anonymous or nothing"
        ),
        format!(
            "FAIL  {r}/mirrors/not_a_host!.json: not named for a registry (mirrors/<host[:port]>.json), so never read"
        ),
    ] {
        assert!(
            out.stdout.lines().any(|l| l == line),
            "missing {line:?} in\n{}",
            out.stdout
        );
    }
    mirror_file(&s, "mirrors/docker.io.json", "nothing");
    std::fs::remove_file(s.root.join("mirrors/not_a_host!.json")).unwrap();
    let out = run(&["check", "--credroot", s.root_str(), "nginx"], b"");
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.lines().any(|l| l
            == format!(
                "FAIL  image \"nginx\": {r}/mirrors/docker.io.json sends pulls through mirror {MIRROR}, but no credential file answers the image there; put one for {MIRROR} (nothing was answered, rather than the upstream's credentials alone)"
            )),
        "{}",
        out.stdout
    );
}

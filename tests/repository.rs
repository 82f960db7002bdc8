//! Per-repository credentials (issue 9): `<domain>/<path-prefix>.json`, the
//! longest prefix of whole path components wins, then the host file, then
//! the wildcard; answered per image so the kubelet caches it for that image
//! only.

use crate::util::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_repository_file_answers_its_repository_keyed_by_the_image() {
    let s = Scratch::new("repo");
    s.cred("ghcr.io/acme.json", "acme", "acmepass");
    s.run(request("ghcr.io/acme/app").as_bytes()).answered(
        &Expect::image("ghcr.io/acme/app")
            .creds("acme", "acmepass")
            .json(),
    );
    s.run(request("ghcr.io/acme/team/deep/app").as_bytes())
        .answered(
            &Expect::image("ghcr.io/acme/team/deep/app")
                .creds("acme", "acmepass")
                .json(),
        );
}

#[test]
fn the_longest_existing_prefix_wins() {
    let s = Scratch::new("longest");
    s.cred("ghcr.io/acme.json", "acme", "acmepass");
    s.cred("ghcr.io/acme/team.json", "team", "teampass");
    s.cred("ghcr.io/acme/team/app.json", "app", "apppass");
    s.run(request("ghcr.io/acme/team/app").as_bytes()).answered(
        &Expect::image("ghcr.io/acme/team/app")
            .creds("app", "apppass")
            .json(),
    );
    s.run(request("ghcr.io/acme/team/other").as_bytes())
        .answered(
            &Expect::image("ghcr.io/acme/team/other")
                .creds("team", "teampass")
                .json(),
        );
    s.run(request("ghcr.io/acme/other").as_bytes()).answered(
        &Expect::image("ghcr.io/acme/other")
            .creds("acme", "acmepass")
            .json(),
    );
    // A directory without a file at its level falls back to the shorter prefix.
    fs::create_dir_all(s.root.join("ghcr.io/acme/empty/sub")).unwrap();
    for d in ["ghcr.io/acme/empty", "ghcr.io/acme/empty/sub"] {
        fs::set_permissions(s.root.join(d), fs::Permissions::from_mode(0o700)).unwrap();
    }
    s.run(request("ghcr.io/acme/empty/sub/app").as_bytes())
        .answered(
            &Expect::image("ghcr.io/acme/empty/sub/app")
                .creds("acme", "acmepass")
                .json(),
        );
}

#[test]
fn a_sibling_prefix_is_never_widened() {
    let s = Scratch::new("sibling");
    s.cred("ghcr.io/acme.json", "acme", "acmepass");
    for image in [
        "ghcr.io/acme-evil/app",
        "ghcr.io/acmex/app",
        "ghcr.io/other/acme",
        "ghcr.io/acme",
    ] {
        let out = s.run(request(image).as_bytes());
        if image == "ghcr.io/acme" {
            // The whole path is a prefix of itself: this image is acme's.
            out.answered(
                &Expect::image("ghcr.io/acme")
                    .creds("acme", "acmepass")
                    .json(),
            );
        } else {
            out.answered(&no_credentials());
            out.never_shows("acmepass");
        }
    }
}

#[test]
fn falls_back_to_the_host_file_cached_per_image() {
    let s = Scratch::new("fallback");
    s.cred("ghcr.io/acme.json", "acme", "acmepass");
    s.cred("ghcr.io.json", "host", "hostpass");
    // With repository files present, a host answer is cached per image, so a
    // cached registry-wide answer never stands in for acme's own file.
    s.run(request("ghcr.io/other/app").as_bytes())
        .answered(&Expect::image("ghcr.io").creds("host", "hostpass").json());
    s.run(request("ghcr.io/acme/app").as_bytes()).answered(
        &Expect::image("ghcr.io/acme/app")
            .creds("acme", "acmepass")
            .json(),
    );
    // Without a repository directory the host file keeps Registry.
    let t = Scratch::new("fallback-plain");
    t.cred("ghcr.io.json", "host", "hostpass");
    t.run(request("ghcr.io/other/app").as_bytes())
        .answered(&Expect::registry("ghcr.io").creds("host", "hostpass").json());
}

#[test]
fn ports_work_as_for_hosts() {
    let s = Scratch::new("repo-port");
    s.cred("registry.example.org:5000/ns.json", "ns", "nspass");
    s.run(request("registry.example.org:5000/ns/app").as_bytes())
        .answered(
            &Expect::image("registry.example.org:5000/ns/app")
                .creds("ns", "nspass")
                .json(),
        );
    s.run(request("registry.example.org/ns/app").as_bytes())
        .answered(&no_credentials());
    s.run(request("registry.example.org:5001/ns/app").as_bytes())
        .answered(&no_credentials());
}

#[test]
fn docker_hub_repositories() {
    let s = Scratch::new("repo-hub");
    s.cred("docker.io/library.json", "official", "officialpass");
    s.cred("docker.io.json", "hub", "hubpass");
    s.run(request("nginx").as_bytes()).answered(
        &Expect::image("docker.io/library/nginx")
            .creds("official", "officialpass")
            .json(),
    );
    s.run(request("docker.io/user/app").as_bytes())
        .answered(&Expect::image("docker.io").creds("hub", "hubpass").json());
}

#[test]
fn no_host_file_means_no_credentials() {
    let s = Scratch::new("repo-nohost");
    s.cred("ghcr.io/acme.json", "acme", "acmepass");
    s.run(request("ghcr.io/beta/app").as_bytes())
        .answered(&no_credentials());
}

#[test]
fn an_unsafe_per_registry_directory_is_refused() {
    for (dir, mode) in [("ghcr.io", 0o777), ("ghcr.io/acme", 0o770)] {
        let s = Scratch::new("repo-unsafe");
        s.cred("ghcr.io/acme/team.json", "team", "teampass");
        let path = s.root.join(dir);
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        let out = s.run(request("ghcr.io/acme/team/app").as_bytes());
        let p = path.display();
        assert_eq!(
            out.refused(),
            format!(
                "directory {p} is writable by group or others (mode {mode:04o}); run chmod go-w {p}"
            )
        );
        out.never_shows("teampass");
    }
    // A symbolic link as the per-registry directory is refused as well.
    let s = Scratch::new("repo-symlink");
    let elsewhere = s.dir.join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o700)).unwrap();
    s.symlink(&elsewhere, "ghcr.io");
    let out = s.run(request("ghcr.io/acme/app").as_bytes());
    assert_eq!(
        out.refused(),
        format!(
            "{} is a symbolic link; the credential root and every directory on the way to it must be real directories",
            s.root.join("ghcr.io").display()
        )
    );
}

#[test]
fn an_unsafe_repository_file_is_refused_not_skipped() {
    let s = Scratch::new("repo-badfile");
    s.cred("ghcr.io.json", "host", "hostpass");
    let path = s.file(
        "ghcr.io/acme.json",
        r#"{"username":"acme","password":"acmepass"}"#,
        0o644,
    );
    let out = s.run(request("ghcr.io/acme/app").as_bytes());
    let p = path.display();
    assert_eq!(
        out.refused(),
        format!("{p} is readable by group or others (mode 0644); run chmod 600 {p}")
    );
    out.never_shows("hostpass");
}

/// Found by the `matcher` fuzz target: a repository answer keyed by the image
/// itself is dropped by the kubelet when the path starts with `v1/` or `v2/`
/// (it strips those from keys), so the key carries a `v1/` it strips again.
#[test]
fn regression_fuzz_matcher_v1_path_repository_key() {
    let s = Scratch::new("repo-v2");
    s.cred("ghcr.io/v2.json", "v2", "v2pass");
    s.run(request("ghcr.io/v2/app").as_bytes()).answered(
        &Expect::image("ghcr.io/v1/v2/app")
            .creds("v2", "v2pass")
            .json(),
    );
    s.cred("docker.io/v1.json", "hub", "hubpass");
    s.run(request("docker.io/v1/rary/nginx").as_bytes())
        .answered(
            &Expect::image("docker.io/v1/v1/rary/nginx")
                .creds("hub", "hubpass")
                .json(),
        );
}

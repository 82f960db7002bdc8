//! Trusting a file only after libc has proven it safe (issue 3): one test
//! that refuses and one that accepts per rule. Every refusal exits 1 with
//! nothing on stdout, names the rule, and never shows the password.

use crate::util::*;
use std::fs;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::Command;

const PASSWORD: &str = "pw-9d2f-never-shown";
const IMAGE: &str = "registry.example.org/team/app";
const FILE: &str = "registry.example.org.json";
const OTHER_UID: u32 = 1234;

fn ok_answer() -> String {
    Expect::registry("registry.example.org")
        .creds("user", PASSWORD)
        .json()
}

fn with_file(name: &str) -> (Scratch, std::path::PathBuf) {
    let s = Scratch::new(name);
    let path = s.cred(FILE, "user", PASSWORD);
    (s, path)
}

fn refused_with(s: &Scratch, message: String) {
    let out = s.run(request(IMAGE).as_bytes());
    assert_eq!(out.refused(), message);
    out.never_shows(PASSWORD);
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn accepts_0600_and_0400_files() {
    for mode in [0o600, 0o400] {
        let (s, path) = with_file("modes-ok");
        chmod(&path, mode);
        s.run(request(IMAGE).as_bytes()).answered(&ok_answer());
    }
}

#[test]
fn refuses_files_with_any_group_or_other_bit() {
    for (mode, word) in [
        (0o644, "readable"),
        (0o640, "readable"),
        (0o604, "readable"),
        (0o620, "accessible"),
        (0o601, "accessible"),
    ] {
        let (s, path) = with_file("modes-bad");
        chmod(&path, mode);
        let p = path.display();
        refused_with(
            &s,
            format!("{p} is {word} by group or others (mode {mode:04o}); run chmod 600 {p}"),
        );
    }
}

#[test]
fn refuses_a_0660_file_of_another_group() {
    require!(Need::Root);
    let (s, path) = with_file("group");
    chown(&path, Some(0), Some(OTHER_UID)).unwrap();
    chmod(&path, 0o660);
    let p = path.display();
    refused_with(
        &s,
        format!("{p} is readable by group or others (mode 0660); run chmod 600 {p}"),
    );
}

#[test]
fn accepts_a_root_owned_file_with_another_group_when_private() {
    require!(Need::Root);
    let (s, path) = with_file("group-ok");
    chown(&path, Some(0), Some(OTHER_UID)).unwrap();
    chmod(&path, 0o600);
    s.run(request(IMAGE).as_bytes()).answered(&ok_answer());
}

#[test]
fn refuses_a_file_owned_by_another_uid() {
    require!(Need::Root);
    let (s, path) = with_file("owner");
    chown(&path, Some(OTHER_UID), None).unwrap();
    let p = path.display();
    refused_with(
        &s,
        format!("{p} is owned by uid {OTHER_UID}, not root; run chown root {p}"),
    );
}

#[test]
fn refuses_symbolic_links_to_files_shadow_and_dev_zero() {
    for target in ["real.json", "/etc/shadow", "/dev/zero"] {
        let s = Scratch::new("symlink");
        let real = s.cred("real.json", "user", PASSWORD);
        let target_path = if target == "real.json" {
            real
        } else {
            Path::new(target).to_path_buf()
        };
        s.symlink(&target_path, FILE);
        let p = s.root.join(FILE);
        refused_with(
            &s,
            format!(
                "{} is a symbolic link; credential files must be regular files",
                p.display()
            ),
        );
    }
}

#[test]
fn refuses_a_hard_linked_file_and_accepts_it_once_unlinked() {
    let (s, path) = with_file("hardlink");
    let other = s.dir.join("elsewhere.json");
    fs::hard_link(&path, &other).unwrap();
    refused_with(
        &s,
        format!(
            "{} has 2 hard links; a credential file must have exactly one (replace the link with a copy)",
            path.display()
        ),
    );
    fs::remove_file(&other).unwrap();
    s.run(request(IMAGE).as_bytes()).answered(&ok_answer());
}

#[test]
fn refuses_a_fifo_without_hanging() {
    let s = Scratch::new("fifo");
    let path = s.root.join(FILE);
    let status = Command::new("mkfifo")
        .arg("-m")
        .arg("600")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    // `run` fails the test if the plugin blocks opening or reading the FIFO.
    refused_with(
        &s,
        format!(
            "{} is a FIFO; credential files must be regular files",
            path.display()
        ),
    );
}

#[test]
fn refuses_a_socket() {
    let s = Scratch::new("socket");
    let path = s.root.join(FILE);
    let _listener = UnixListener::bind(&path).unwrap();
    chmod(&path, 0o600);
    refused_with(
        &s,
        format!(
            "{} is a socket; credential files must be regular files",
            path.display()
        ),
    );
}

#[test]
fn refuses_a_directory_named_like_a_credential_file() {
    let s = Scratch::new("dir");
    let path = s.root.join(FILE);
    fs::create_dir(&path).unwrap();
    chmod(&path, 0o700);
    refused_with(
        &s,
        format!(
            "{} is a directory; credential files must be regular files",
            path.display()
        ),
    );
}

#[test]
fn refuses_a_sparse_file_over_the_size_limit_and_accepts_one_at_it() {
    let (s, path) = with_file("sparse");
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(1024 * 1024)
        .unwrap();
    refused_with(
        &s,
        format!(
            "{} is 1048576 bytes, more than the 65536-byte limit for a credential file",
            path.display()
        ),
    );
    // Exactly 64 KiB of valid JSON (padding is whitespace) passes.
    let body = format!(r#"{{"username":"user","password":"{PASSWORD}"}}"#);
    let padded = format!("{body}{}", " ".repeat(64 * 1024 - body.len()));
    s.file(FILE, &padded, 0o600);
    s.run(request(IMAGE).as_bytes()).answered(&ok_answer());
}

#[test]
fn refuses_a_group_or_world_writable_credential_root() {
    for mode in [0o770, 0o707, 0o1777] {
        let (s, _) = with_file("rootmode");
        chmod(&s.root, mode);
        let r = s.root.display();
        refused_with(
            &s,
            format!(
                "directory {r} is writable by group or others (mode {mode:04o}); run chmod go-w {r}"
            ),
        );
    }
}

#[test]
fn accepts_a_nested_root_owned_0755_path() {
    let s = Scratch::new("nested");
    let deep = s.dir.join("a/b/c");
    fs::create_dir_all(&deep).unwrap();
    for d in [s.dir.join("a"), s.dir.join("a/b"), deep.clone()] {
        chmod(&d, 0o755);
    }
    fs::write(
        deep.join(FILE),
        format!(r#"{{"username":"user","password":"{PASSWORD}"}}"#),
    )
    .unwrap();
    chmod(&deep.join(FILE), 0o600);
    s.run_args(
        &["--credroot", deep.to_str().unwrap()],
        request(IMAGE).as_bytes(),
    )
    .answered(&ok_answer());
    // A trailing slash names the same root.
    let with_slash = format!("{}/", deep.display());
    s.run_args(&["--credroot", &with_slash], request(IMAGE).as_bytes())
        .answered(&ok_answer());
}

#[test]
fn refuses_a_credential_root_owned_by_another_uid() {
    require!(Need::Root);
    let (s, _) = with_file("rootowner");
    chown(&s.root, Some(OTHER_UID), None).unwrap();
    let r = s.root.display();
    refused_with(
        &s,
        format!("directory {r} is owned by uid {OTHER_UID}, not root; run chown root {r}"),
    );
}

#[test]
fn refuses_a_credential_root_that_is_a_symbolic_link() {
    let (s, _) = with_file("rootlink");
    let link = s.dir.join("link");
    std::os::unix::fs::symlink(&s.root, &link).unwrap();
    let out = s.run_args(
        &["--credroot", link.to_str().unwrap()],
        request(IMAGE).as_bytes(),
    );
    assert_eq!(
        out.refused(),
        format!(
            "{} is a symbolic link; the credential root and every directory on the way to it must be real directories",
            link.display()
        )
    );
    out.never_shows(PASSWORD);
}

#[test]
fn refuses_a_world_writable_ancestor_even_with_the_sticky_bit() {
    for mode in [0o777, 0o1777, 0o775] {
        let (s, _) = with_file("ancestor");
        chmod(&s.dir, mode);
        let d = s.dir.display();
        refused_with(
            &s,
            format!(
                "directory {d} is writable by group or others (mode {mode:04o}); run chmod go-w {d}"
            ),
        );
        chmod(&s.dir, 0o700);
    }
}

#[test]
fn refuses_the_system_temp_directory_by_design() {
    let out = run(
        &["--credroot", "/tmp", "--log-socket", "/nonexistent/log"],
        request(IMAGE).as_bytes(),
    );
    let reason = out.refused();
    assert!(
        reason.starts_with("directory /tmp is writable by group or others (mode 1777)"),
        "{reason}"
    );
}

#[test]
fn image_names_that_try_to_leave_the_root_never_reach_the_file_system() {
    let s = Scratch::new("escape");
    // Plant a file each traversal would reach if a name were used raw.
    let escaped = s.dir.join("escaped.json");
    fs::write(
        &escaped,
        format!(r#"{{"username":"user","password":"{PASSWORD}"}}"#),
    )
    .unwrap();
    chmod(&escaped, 0o600);
    for image in [
        "../../etc/shadow",
        "reg.example.org/../../x",
        "/etc/passwd",
        "reg.example.org/a\\u0000b",
        "..",
        "../escaped",
    ] {
        let out = s.run(request(image).as_bytes());
        let reason = out.refused();
        assert!(reason.starts_with("invalid image "), "{image}: {reason}");
        out.never_shows(PASSWORD);
    }
}

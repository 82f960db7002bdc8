//! Every vector of `kubelet-protocol.md` sections 4.1, 4.2 and 4.4, and the
//! keyring tables beside them.

use super::*;

/// Section 4.1: `TestURLsMatch`, all 18 rows.
const URLS_MATCH: [(&str, &str, bool); 18] = [
    ("*.kubernetes.io", "prefix.kubernetes.io", true),
    ("prefix.*.io", "prefix.kubernetes.io", true),
    ("prefix.kubernetes.*", "prefix.kubernetes.io", true),
    ("*-good.kubernetes.io", "prefix-good.kubernetes.io", true),
    ("*.kubernetes.io/blah", "prefix.kubernetes.io/blah", true),
    ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", true),
    (
        "*.kubernetes.io:1111/blah",
        "prefix.kubernetes.io:1111/blah",
        true,
    ),
    (
        "prefix.*.io:1111/foo",
        "prefix.kubernetes.io:1111/foo/bar",
        true,
    ),
    ("*.kubernetes.io", "kubernetes.io", false),
    ("*.*.kubernetes.io", "prefix.kubernetes.io", false),
    ("*.*.kubernetes.io", "kubernetes.io", false),
    ("*kubernetes.io", "a.kubernetes.io", false),
    ("*kubernetes.io", "kubernetes.io", true),
    ("*.*.*.kubernetes.io", "a.b.c.kubernetes.io", true),
    ("kubernetes.io", "kubernetes.com", false),
    ("k*.io", "quay.io", false),
    (
        "*.kubernetes.io:1234/blah",
        "prefix.kubernetes.io:1111/blah",
        false,
    ),
    (
        "prefix.*.io/foo",
        "prefix.kubernetes.io:1111/foo/bar",
        false,
    ),
];

/// Section 4.4: extra edge cases verified against Go's standard library;
/// `reg[a-z]stry.io` matched before Go 1.24.8, whose `url.Parse` refuses
/// brackets around anything but an IPv6 address (issue 21, item 6).
const EDGE_CASES: [(&str, &str, bool); 14] = [
    ("docker.io", "docker.io/library/nginx", true),
    ("index.docker.io", "docker.io/library/nginx", false),
    ("*.docker.io", "docker.io/library/nginx", false),
    ("registry.io/*", "registry.io/foo", false),
    ("registry.io/foo", "registry.io/foobar", true),
    ("registry.io/foo/", "registry.io/foo", false),
    ("registry.io", "registry.io:5000/foo", false),
    ("registry.io:5000", "registry.io/foo", false),
    ("reg[a-z]stry.io", "registry.io", false),
    ("*", "localhost/foo", true),
    ("*", "registry.io/foo", false),
    ("*.*", "registry.io/foo", true),
    ("[::1]:5000", "[::1]:5000/foo", true),
    ("https://registry.io", "registry.io/foo", false),
];

#[test]
fn urls_match_vectors() {
    for (glob, target, want) in URLS_MATCH.iter().chain(&EDGE_CASES) {
        assert_eq!(urls_match_str(glob, target), *want, "{glob} vs {target}");
    }
}

/// Section 4.2 `TestDockerKeyringForGlob`: the key is added, then
/// `target + "/foo/bar"` must find it.
#[test]
fn keyring_for_glob_vectors() {
    let rows = [
        ("https://hello.kubernetes.io", "hello.kubernetes.io"),
        ("https://*.docker.io", "prefix.docker.io"),
        ("https://prefix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.*", "prefix.docker.io"),
        ("https://*.docker.io/path", "prefix.docker.io/path"),
        ("https://prefix.*.io/path", "prefix.docker.io/path/subpath"),
        ("https://prefix.docker.*/path", "prefix.docker.io/path"),
        ("https://*.docker.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.*.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.docker.*:8888", "prefix.docker.io:8888"),
        (
            "https://*.docker.io/path:1111",
            "prefix.docker.io/path:1111",
        ),
        ("https://*.docker.io/v1/", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v2/", "prefix.docker.io/path:1111"),
        (
            "https://prefix.docker.*/path:1111",
            "prefix.docker.io/path:1111",
        ),
        ("prefix.docker.io:1111", "prefix.docker.io:1111/path"),
        ("*.docker.io:1111", "prefix.docker.io:1111/path"),
    ];
    assert_eq!(rows.len(), 16);
    for (key, target) in rows {
        let mut k = Keyring::default();
        k.add(key, 7);
        assert_eq!(
            k.lookup(&format!("{target}/foo/bar")),
            [7],
            "{key} vs {target}"
        );
    }
}

/// Section 4.2 `TestKeyringMiss`.
#[test]
fn keyring_miss_vectors() {
    let rows = [
        ("https://hello.kubernetes.io", "world.mesos.org/foo/bar"),
        ("https://*.docker.com", "prefix.docker.io"),
        ("https://suffix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.c*", "prefix.docker.io"),
        (
            "https://prefix.*.io/path:1111",
            "prefix.docker.io/path/subpath:1111",
        ),
        ("suffix.*.io", "prefix.docker.io"),
    ];
    for (key, lookup) in rows {
        let mut k = Keyring::default();
        k.add(key, 7);
        assert!(
            k.lookup(&format!("{lookup}/foo/bar")).is_empty(),
            "{key} vs {lookup}"
        );
    }
}

/// Section 4.2 `TestDockerKeyringLookup`: order and prefixes.
#[test]
fn keyring_lookup_table() {
    const GRACE: usize = 1;
    const ADA: usize = 2;
    let mut k = Keyring::default();
    k.add("bar.example.com/pong", GRACE);
    k.add("bar.example.com", ADA);
    let rows: [(&str, &[usize]); 7] = [
        ("bar.example.com", &[ADA]),
        ("bar.example.com/pong", &[GRACE, ADA]),
        ("bar.example.com/ping", &[ADA]),
        ("bar.example.com/pongz", &[GRACE, ADA]),
        ("bar.example.com/pong/pang", &[GRACE, ADA]),
        ("example.com", &[]),
        ("foo.example.com", &[]),
    ];
    for (image, want) in rows {
        assert_eq!(k.lookup(image), want, "{image}");
    }
}

/// Section 4.2 `TestIssue3797` and the Docker Hub fallback.
#[test]
fn keyring_issue_3797_and_docker_hub_fallback() {
    let mut k = Keyring::default();
    k.add("https://quay.io/v1/", 1);
    for image in ["quay.io", "quay.io/foo", "quay.io/foo/bar"] {
        assert_eq!(k.lookup(image), [1], "{image}");
    }
    let mut hub = Keyring::default();
    hub.add("https://index.docker.io/v1/", 1);
    for image in [
        "google/docker-registry",
        "jenkins",
        "index.docker.io/v1//google/docker-registry",
    ] {
        assert_eq!(hub.lookup(image), [1], "{image}");
    }
    assert!(hub.lookup("world.mesos.org/foo/bar").is_empty());
}

#[test]
fn is_default_registry_match_table() {
    for (image, want) in [
        ("foo/bar", true),
        ("docker.io/foo/bar", true),
        ("index.docker.io/foo/bar", true),
        ("foo", true),
        ("", false),
        ("registry.tld/foo/bar", false),
        ("registry:5000/foo/bar", false),
        ("myhostdocker.io/foo/bar", false),
    ] {
        assert_eq!(is_default_registry_match(image), want, "{image:?}");
    }
}

#[test]
fn miri_answer_keys_the_plugin_emits_match() {
    for (key, image, want) in [
        ("registry.example.org", "registry.example.org/app", true),
        (
            "registry.example.org:5000",
            "registry.example.org:5000/app",
            true,
        ),
        (
            "registry.example.org",
            "registry.example.org:5000/app",
            false,
        ),
        (
            "registry.example.org:5000",
            "registry.example.org/app",
            false,
        ),
        ("docker.io", "docker.io/library/nginx", true),
        ("[::1]:5000", "[::1]:5000/foo", true),
        ("Registry.Example.org", "Registry.Example.org/app", true),
        ("ghcr.io/acme/app", "ghcr.io/acme/app", true),
        ("ghcr.io/acme/app", "ghcr.io/acme/other", false),
        ("org", "evil.org/x", false),
    ] {
        assert_eq!(answer_matches(key, image), want, "{key} vs {image}");
    }
}

/// Found by the `matcher` fuzz target (`[:5]/0/f1b`): without a port,
/// SplitHostPort fails, the brackets stay in the host and `filepath.Match`
/// reads them as a character class, so the kubelet matches no key to such an
/// image. With a port the brackets are stripped and it matches, if they hold
/// an IPv6 address: `[:5]` is none, so since Go 1.24.8 `url.Parse` refuses it
/// (issue 21, item 6).
#[test]
fn regression_fuzz_matcher_ipv6_without_port_never_matches() {
    assert!(!answer_matches("[:5]", "[:5]/0/f1b"));
    assert!(!answer_matches("[::1]", "[::1]/foo"));
    assert!(answer_matches("[::1]:5000", "[::1]:5000/foo"));
    assert!(!answer_matches("[:5]:1", "[:5]:1/0/f1b"));
    assert!(answer_matches("[::5]:1", "[::5]:1/0/f1b"));
}

#[test]
fn miri_glob_match_follows_go() {
    for (pattern, name, want) in [
        ("abc", "abc", Ok(true)),
        ("*", "abc", Ok(true)),
        ("*c", "abc", Ok(true)),
        ("a*", "a", Ok(true)),
        ("a*/b", "abc/b", Ok(true)),
        ("a*/b", "a/c/b", Ok(false)),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
        ("ab[c]", "abc", Ok(true)),
        ("ab[b-d]", "abc", Ok(true)),
        ("ab[e-g]", "abc", Ok(false)),
        ("ab[^c]", "abc", Ok(false)),
        ("ab[^e-g]", "abc", Ok(true)),
        ("a\\*b", "a*b", Ok(true)),
        ("a\\*b", "ab", Ok(false)),
        ("a?b", "a☺b", Ok(true)),
        ("a[^a]b", "a☺b", Ok(true)),
        ("a???b", "a☺b", Ok(false)),
        ("[a-ζ]*", "α", Ok(true)),
        ("[\\]a]", "]", Ok(true)),
        ("[\\-]", "-", Ok(true)),
        ("[x\\-]", "z", Ok(false)),
        ("[", "a", Err(BadPattern)),
        ("[^", "a", Err(BadPattern)),
        ("[^bc", "a", Err(BadPattern)),
        ("a[", "a", Err(BadPattern)),
        ("a[", "ab", Err(BadPattern)),
        ("a[", "x", Err(BadPattern)),
        ("a/b[", "x", Err(BadPattern)),
        ("*x", "xxx", Ok(true)),
        ("[]a]", "]", Err(BadPattern)),
        ("[-]", "-", Err(BadPattern)),
        ("\\", "a", Err(BadPattern)),
    ] {
        assert_eq!(glob_match(pattern, name), want, "{pattern} vs {name}");
    }
}

#[test]
fn miri_url_parse_quirks() {
    // `?` starts a query, so it cannot be used as a glob in a host.
    assert_eq!(parse_schemeless_url("regist?y.io").unwrap().host, "regist");
    assert_eq!(
        parse_schemeless_url("*.registry.io:*"),
        Err(UrlError::InvalidPort)
    );
    assert_eq!(parse_schemeless_url("%invalid%"), Err(UrlError::BadEscape));
    assert_eq!(parse_schemeless_url("a b.io"), Err(UrlError::InvalidHost));
    assert_eq!(
        parse_schemeless_url("a\nb"),
        Err(UrlError::ControlCharacter)
    );
    let u = parse_schemeless_url("[::1]:5000/foo%2Fbar").unwrap();
    assert_eq!(
        (u.host.as_str(), u.path.as_str()),
        ("[::1]:5000", "/foo/bar")
    );
    assert_eq!(
        normalize_auth_key("https://index.docker.io/v1/").as_deref(),
        Some(&b"index.docker.io"[..])
    );
    assert_eq!(
        normalize_auth_key("quay.io/v2/foo").as_deref(),
        Some(&b"quay.io/foo"[..])
    );
    // A class in the host hides the port from SplitHostPort.
    assert!(!urls_match_str(
        "reg[a-z]stry.io:5000",
        "registry.io:5000/x"
    ));
}

#[test]
fn miri_answer_matches_agrees_with_a_one_key_keyring() {
    for (key, image) in [
        ("registry.example.org", "registry.example.org/app"),
        ("registry.example.org", "registry.example.org:5000/app"),
        ("docker.io", "docker.io/library/nginx"),
        ("ghcr.io/acme/app", "ghcr.io/acme/app"),
        ("ghcr.io/acme/app", "ghcr.io/acme/other"),
        ("https://quay.io/v1/", "quay.io/foo"),
        ("*.example.org", "a.example.org/x"),
        ("org", "evil.org/x"),
    ] {
        let mut k = Keyring::default();
        k.add(key, 0);
        assert_eq!(
            answer_matches(key, image),
            k.lookup(image) == [0],
            "{key} vs {image}"
        );
    }
}

/// Found by the `matcher` fuzz target: the kubelet drops a leading `/v1` or
/// `/v2` from every key's path, so an image whose path starts with `v1/` or
/// `v2/` is not matched by a key that is the image name itself.
#[test]
fn regression_fuzz_matcher_v1_path_repository_key() {
    use crate::answer::repository_key;
    use crate::reference::parse_normalized_named;
    assert!(!answer_matches(
        "docker.io/v1/rary/nginx",
        "docker.io/v1/rary/nginx"
    ));
    for image in [
        "docker.io/v1/rary/nginx",
        "ghcr.io/v2/app",
        "ghcr.io/v2",
        "ghcr.io/v1",
        "ghcr.io/v10/app",
        "ghcr.io/acme/v1/app",
    ] {
        let r = parse_normalized_named(image).unwrap();
        let key = repository_key(r.domain().unwrap(), r.path());
        assert!(answer_matches(&key, &r.name()), "{key} vs {image}");
    }
    let r = parse_normalized_named("ghcr.io/v2/app").unwrap();
    assert_eq!(
        repository_key(r.domain().unwrap(), r.path()),
        "ghcr.io/v1/v2/app"
    );
    let r = parse_normalized_named("ghcr.io/acme/v1/app").unwrap();
    assert_eq!(
        repository_key(r.domain().unwrap(), r.path()),
        "ghcr.io/acme/v1/app"
    );
}

/// Plugin mode matches every answer once: an unescaped key and image are
/// parsed and normalized in place, with no allocation.
#[test]
fn unescaped_keys_and_images_are_matched_in_place() {
    for key in ["registry.example.org", "ghcr.io/acme/app", "[::1]:5000"] {
        assert!(
            matches!(normalize_auth_key_bytes(key.as_bytes()), Some(Cow::Borrowed(k)) if k == key.as_bytes()),
            "{key}"
        );
    }
    let u = parse_schemeless(b"user@registry.example.org:5000/app?q#f").unwrap();
    assert!(matches!(
        u.host,
        Cow::Borrowed(b"registry.example.org:5000")
    ));
    assert!(matches!(u.path, Cow::Borrowed(b"/app")));
    // A dropped `/v2` or a userinfo joins host and path anew.
    assert_eq!(
        normalize_auth_key_bytes(b"u@ghcr.io/acme").as_deref(),
        Some(&b"ghcr.io/acme"[..])
    );
    assert_eq!(
        normalize_auth_key_bytes(b"https://ghcr.io/v2/acme").as_deref(),
        Some(&b"ghcr.io/acme"[..])
    );
}

/// Issue 21, row 1: Go's `unescape` decodes `%ff` and `%fe` to the bytes
/// 0xff and 0xfe, two hosts; decoded as UTF-8 both were U+FFFD and matched.
#[test]
fn regression_issue_21_percent_ff_and_percent_fe_are_different_hosts() {
    assert!(!urls_match_str("%ff", "%fe"));
    assert!(urls_match_str("%ff", "%FF"));
    let u = parse_schemeless(b"%ff/%fe").unwrap();
    assert_eq!((&*u.host, &*u.path), (&b"\xff"[..], &b"/\xfe"[..]));
    // Paths are byte prefixes too, even in the middle of a rune.
    assert!(!urls_match_str("a.io/%ff", "a.io/%fe"));
    assert!(urls_match_str("a.io/%c3", "a.io/%c3%a9"));
    // `Add` keeps the key's bytes.
    assert_eq!(normalize_auth_key("https://%ff"), Some(b"\xff".to_vec()));
    let mut k = Keyring::default();
    k.add("%ff", 1);
    assert!(k.lookup("%fe/x").is_empty());
    assert_eq!(k.lookup("%ff/x"), [1]);
    // Only the text form for reports is lossy.
    assert_eq!(parse_schemeless_url("%ff").unwrap().host, "\u{fffd}");
}

/// Issue 21, row 2: `url.Parse` cuts the fragment off before `parse` looks
/// for control bytes, so one after `#` is no error; its escapes still count.
#[test]
fn regression_issue_21_a_control_byte_after_the_fragment_mark_is_allowed() {
    assert!(urls_match_str("a", "a#\x01"));
    assert!(urls_match_str("a#\x7f", "a"));
    assert_eq!(
        parse_schemeless_url("a\x01#b"),
        Err(UrlError::ControlCharacter)
    );
    assert_eq!(parse_schemeless_url("a#%zz"), Err(UrlError::BadEscape));
}

/// Issue 21, row 3: `validUserinfo` allows only ASCII, so `url.Parse` refuses
/// `https://é@a.io`: no match, and `Add` drops such a key.
#[test]
fn regression_issue_21_non_ascii_userinfo_is_refused() {
    assert!(!urls_match_str("a.io", "é@a.io"));
    assert_eq!(
        parse_schemeless_url("é@a.io"),
        Err(UrlError::InvalidUserinfo)
    );
    assert_eq!(
        parse_schemeless(b"\xff@a.io"),
        Err(UrlError::InvalidUserinfo)
    );
    assert_eq!(normalize_auth_key("https://é@a.io"), None);
    let mut k = Keyring::default();
    k.add("https://é@a.io", 1);
    assert!(k.lookup("a.io/x").is_empty());
    // ASCII userinfo (even an `@` in it) is dropped from the key.
    assert!(urls_match_str("a.io", "u:p%41@x@a.io"));
    k.add("https://u:p@a.io", 2);
    assert_eq!(k.lookup("a.io/x"), [2]);
}

/// Issue 21, row 4: in an IPv6 literal the zone, from the first `%25`, is
/// unescaped as a zone (RFC 6874), where `%41` is `A`; decoded as a host,
/// `%41` was refused.
#[test]
fn regression_issue_21_an_ipv6_zone_is_unescaped_as_a_zone() {
    assert!(urls_match_str("[::1%25%41]:80", "[::1%25%41]:80"));
    assert_eq!(
        parse_schemeless(b"[::1%25%41]:80").unwrap().host,
        &b"[::1%A]:80"[..]
    );
    assert!(urls_match_str("[::1%25%41]:80", "[::1%25A]:80/x"));
    // A zone escape must still stand for a byte a host may hold, and the
    // address before the zone is still a host.
    assert_eq!(parse_schemeless(b"[::1%25%0a]"), Err(UrlError::BadEscape));
    assert_eq!(parse_schemeless(b"[::1%25%ff]"), Err(UrlError::BadEscape));
    assert_eq!(parse_schemeless(b"[::%41%25a]"), Err(UrlError::BadEscape));
    assert_eq!(
        parse_schemeless(b"[::1%25%20]").unwrap().host,
        &b"[::1% ]"[..]
    );
}

/// Issue 21, row 5: `filepath.Match` (which `URLsMatch` calls) returns
/// `false, nil` once a chunk fails, without the final scan of the rest of
/// the pattern that `path.Match` does; a bad chunk it reaches is an error.
#[test]
fn regression_issue_21_filepath_match_does_not_scan_the_rest_after_a_mismatch() {
    assert_eq!(glob_match("a*[", "b"), Ok(false));
    assert_eq!(glob_match("a*[", "a"), Err(BadPattern));
    assert_eq!(glob_match("a*[", "ab"), Err(BadPattern));
    assert_eq!(glob_match("a*\\", "b"), Ok(false));
    assert_eq!(glob_match("a[", "b"), Err(BadPattern));
    assert!(!urls_match_str("a*[", "b"));
}

/// Issue 21, item 6 (CVE-2025-47912, Go 1.24.8; CVE-2026-25679, Go 1.25.8):
/// `url.Parse` allows brackets only at the start of a host and only around
/// an IPv6 address, so a class such as `registry[0-9]` never matches.
#[test]
fn regression_issue_21_brackets_in_a_host_only_enclose_an_ipv6_address() {
    assert!(!urls_match_str(
        "registry[0-9].example.com",
        "registry1.example.com"
    ));
    for refused in [
        "registry[0-9].example.com",
        "a[",
        "[a]",
        "[a-z]:80",
        "x[::1]:80",
        "[1.2.3.4]",
        "[::1%25]",
        "[1:2:3:4:5:6:7:8:9]",
        "[1::2::3]",
        "[12345::]",
        "[1:2:3:4:5:6:7::8]",
        "[1:2:3:4:5:1.2.3.4]",
        "[::01.2.3.4]",
        "[::1.2.3]",
        "[:1]",
        "[1:]",
        "[::1%eth0]",
    ] {
        assert_eq!(
            parse_schemeless(refused.as_bytes()),
            Err(if refused == "[::1%eth0]" {
                UrlError::BadEscape
            } else {
                UrlError::InvalidIpLiteral
            }),
            "{refused}"
        );
    }
    for accepted in [
        "[::1]:5000",
        "[::]",
        "[1:2:3:4:5:6:7:8]",
        "[1::]",
        "[::ffff:1.2.3.4]:80",
        "[1:2:3:4:5:6:1.2.3.4]",
        "[::1.2.3.4]",
        "[fe80::1%25en0]",
        "[FFFF::abcd]",
        "a]",
    ] {
        assert!(parse_schemeless(accepted.as_bytes()).is_ok(), "{accepted}");
    }
    // `[` is the only bracket that makes a host an IP-literal.
    assert_eq!(parse_schemeless(b"[::1]]"), Err(UrlError::InvalidIpLiteral));
    assert_eq!(parse_schemeless(b"[::1]x"), Err(UrlError::InvalidPort));
    assert_eq!(parse_schemeless(b"[::1"), Err(UrlError::MissingBracket));
}

/// Issue 21, item 6: `check` says why a bracketed `matchImages` entry is
/// refused and what to write instead; an IPv6 entry passes.
#[test]
fn regression_issue_21_check_explains_brackets_in_a_match_image() {
    let config = |image: &str| {
        format!(
            r#"{{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{{"name":"p","matchImages":["{image}"],"defaultCacheDuration":"5m","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}}]}}"#
        )
    };
    let report = crate::kubelet_config::check(&config("registry[0-9].example.com"), "p");
    assert_eq!(
        report.findings,
        [
            "providers[0].matchImages: Invalid value: \"registry[0-9].example.com\": match image is invalid (InvalidIpLiteral) (use `*`; kubelets built with Go >= 1.24.8 reject brackets in a host)"
        ]
    );
    let report = crate::kubelet_config::check(&config("[::1]:5000"), "p");
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

/// Issue 21, item 7: kubelets run with `urlstrictcolons=0` (Kubernetes'
/// go.mod is older than `go 1.26`), so the port starts at the last colon and
/// `a:1:2` is the host `a:1:2` with no port, not an error.
#[test]
fn regression_issue_21_colons_are_not_strict() {
    assert_eq!(parse_schemeless(b"a:1:2/x").unwrap().host, &b"a:1:2"[..]);
    assert!(urls_match_str("a:1:2", "a:1:2/x"));
    assert!(!urls_match_str("a:1", "a:1:2/x"));
    assert_eq!(parse_schemeless(b"a:1:b"), Err(UrlError::InvalidPort));
}

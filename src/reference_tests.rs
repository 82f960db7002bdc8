//! The upstream distribution/reference test tables (`reference_test.go`,
//! `normalize_test.go`, `regexp_test.go`), ported row by row, plus rows for
//! every edge case `image-reference.md` lists.

use super::*;
use ReferenceError as E;

const F64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const F128: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
const HEX64: &str = "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a";

/// One `TestReferenceParse` row: input, then Ok((name, domain, tag, digest)) or the error.
type ParseRow = (String, Result<(String, String, String, String), E>);

fn ok(input: &str, name: &str, domain: &str, tag: &str, digest: &str) -> ParseRow {
    (
        input.to_owned(),
        Ok((
            name.to_owned(),
            domain.to_owned(),
            tag.to_owned(),
            digest.to_owned(),
        )),
    )
}

fn err(input: &str, e: E) -> ParseRow {
    (input.to_owned(), Err(e))
}

fn reference_parse_rows() -> Vec<ParseRow> {
    let sha = format!("sha256:{F64}");
    let sha512 = format!("sha512:{F128}");
    vec![
        ok("test_com", "test_com", "", "", ""),
        ok("test.com:tag", "test.com", "", "tag", ""),
        ok("test.com:5000", "test.com", "", "5000", ""),
        ok("test.com/repo:tag", "test.com/repo", "test.com", "tag", ""),
        ok("test:5000/repo", "test:5000/repo", "test:5000", "", ""),
        ok(
            "test:5000/repo:tag",
            "test:5000/repo",
            "test:5000",
            "tag",
            "",
        ),
        ok(
            &format!("test:5000/repo@{sha}"),
            "test:5000/repo",
            "test:5000",
            "",
            &sha,
        ),
        ok(
            &format!("test:5000/repo:tag@{sha}"),
            "test:5000/repo",
            "test:5000",
            "tag",
            &sha,
        ),
        err("", E::NameEmpty),
        err(":justtag", E::InvalidFormat),
        err(&format!("@{sha}"), E::InvalidFormat),
        err(
            "repo@sha256:ffffffffffffffffffffffffffffffffff",
            E::DigestInvalidLength,
        ),
        err(
            &format!("validname@invaliddigest:{F64}"),
            E::DigestUnsupported,
        ),
        err("Uppercase:tag", E::NameContainsUppercase),
        err(
            "test:5000/Uppercase/lowercase:tag",
            E::NameContainsUppercase,
        ),
        ok("lowercase:Uppercase", "lowercase", "", "Uppercase", ""),
        err(&format!("domain/{}:tag", "a".repeat(256)), E::NameTooLong),
        ok(
            &format!("{}a:tag-puts-this-over-max", "a/".repeat(127)),
            &format!("{}a", "a/".repeat(127)),
            "a",
            "tag-puts-this-over-max",
            "",
        ),
        err("aa/asdf$$^/aa", E::InvalidFormat),
        ok(
            "sub-dom1.foo.com/bar/baz/quux",
            "sub-dom1.foo.com/bar/baz/quux",
            "sub-dom1.foo.com",
            "",
            "",
        ),
        ok(
            "sub-dom1.foo.com/bar/baz/quux:some-long-tag",
            "sub-dom1.foo.com/bar/baz/quux",
            "sub-dom1.foo.com",
            "some-long-tag",
            "",
        ),
        ok(
            "b.gcr.io/test.example.com/my-app:test.example.com",
            "b.gcr.io/test.example.com/my-app",
            "b.gcr.io",
            "test.example.com",
            "",
        ),
        ok(
            "xn--n3h.com/myimage:xn--n3h.com",
            "xn--n3h.com/myimage",
            "xn--n3h.com",
            "xn--n3h.com",
            "",
        ),
        ok(
            &format!("xn--7o8h.com/myimage:xn--7o8h.com@{sha512}"),
            "xn--7o8h.com/myimage",
            "xn--7o8h.com",
            "xn--7o8h.com",
            &sha512,
        ),
        ok("foo_bar.com:8080", "foo_bar.com", "", "8080", ""),
        ok("foo/foo_bar.com:8080", "foo/foo_bar.com", "foo", "8080", ""),
        ok("192.168.1.1", "192.168.1.1", "", "", ""),
        ok("192.168.1.1:tag", "192.168.1.1", "", "tag", ""),
        ok("192.168.1.1:5000", "192.168.1.1", "", "5000", ""),
        ok(
            "192.168.1.1/repo",
            "192.168.1.1/repo",
            "192.168.1.1",
            "",
            "",
        ),
        ok(
            "192.168.1.1:5000/repo",
            "192.168.1.1:5000/repo",
            "192.168.1.1:5000",
            "",
            "",
        ),
        ok(
            "192.168.1.1:5000/repo:5050",
            "192.168.1.1:5000/repo",
            "192.168.1.1:5000",
            "5050",
            "",
        ),
        err("[2001:db8::1]", E::InvalidFormat),
        err("[2001:db8::1]:5000", E::InvalidFormat),
        err("[2001:db8::1]:tag", E::InvalidFormat),
        ok(
            "[2001:db8::1]/repo",
            "[2001:db8::1]/repo",
            "[2001:db8::1]",
            "",
            "",
        ),
        ok(
            "[2001:db8:1:2:3:4:5:6]/repo:tag",
            "[2001:db8:1:2:3:4:5:6]/repo",
            "[2001:db8:1:2:3:4:5:6]",
            "tag",
            "",
        ),
        ok(
            "[2001:db8::1]:5000/repo",
            "[2001:db8::1]:5000/repo",
            "[2001:db8::1]:5000",
            "",
            "",
        ),
        ok(
            "[2001:db8::1]:5000/repo:tag",
            "[2001:db8::1]:5000/repo",
            "[2001:db8::1]:5000",
            "tag",
            "",
        ),
        ok(
            &format!("[2001:db8::1]:5000/repo@{sha}"),
            "[2001:db8::1]:5000/repo",
            "[2001:db8::1]:5000",
            "",
            &sha,
        ),
        ok(
            &format!("[2001:db8::1]:5000/repo:tag@{sha}"),
            "[2001:db8::1]:5000/repo",
            "[2001:db8::1]:5000",
            "tag",
            &sha,
        ),
        ok(
            "[2001:db8::]:5000/repo",
            "[2001:db8::]:5000/repo",
            "[2001:db8::]:5000",
            "",
            "",
        ),
        ok("[::1]:5000/repo", "[::1]:5000/repo", "[::1]:5000", "", ""),
        err("[fe80::1%eth0]:5000/repo", E::InvalidFormat),
        err("[fe80::1%@invalidzone]:5000/repo", E::InvalidFormat),
        ok(
            &format!("example.com/{}:tag", "a".repeat(255)),
            &format!("example.com/{}", "a".repeat(255)),
            "example.com",
            "tag",
            "",
        ),
        // v0.6.0 excludes the domain from the 255 limit; v0.5.0 refused this row.
        ok(
            &format!("{}a:tag", "a/".repeat(128)),
            &format!("{}a", "a/".repeat(128)),
            "a",
            "tag",
            "",
        ),
        // Our rows: every edge case of image-reference.md sections 2 to 9.
        ok(
            &format!("a:{}", "t".repeat(128)),
            "a",
            "",
            &"t".repeat(128),
            "",
        ),
        err(&format!("a:{}", "t".repeat(129)), E::InvalidFormat),
        ok("a:_tag", "a", "", "_tag", ""),
        err("a:.tag", E::InvalidFormat),
        err("a:-tag", E::InvalidFormat),
        ok("a:tag.", "a", "", "tag.", ""),
        ok("a:tag-", "a", "", "tag-", ""),
        err("a:", E::InvalidFormat),
        err("a:t+g", E::InvalidFormat),
        err("a:t~g", E::InvalidFormat),
        err("a:täg", E::InvalidFormat),
        err(&format!("a@sha256:{}", "f".repeat(31)), E::InvalidFormat),
        err(
            &format!("a@sha256:{}", "f".repeat(32)),
            E::DigestInvalidLength,
        ),
        err(
            &format!("a@sha256:{}", "f".repeat(65)),
            E::DigestInvalidLength,
        ),
        err(
            &format!("a@sha256:{}", "F".repeat(64)),
            E::DigestInvalidFormat,
        ),
        err(&format!("a@SHA256:{F64}"), E::DigestInvalidFormat),
        err(&format!("a@md5:{}", "f".repeat(32)), E::DigestUnsupported),
        err(&format!("a@sha256+b64:{F64}"), E::DigestUnsupported),
        ok(
            &format!("a@sha384:{}", "f".repeat(96)),
            "a",
            "",
            "",
            &format!("sha384:{}", "f".repeat(96)),
        ),
        ok(&format!("a@{sha512}"), "a", "", "", &sha512),
        err(&format!("a@sha512:{F64}"), E::DigestInvalidLength),
        err(&format!("a@{sha}:tag"), E::InvalidFormat),
        err(&format!("a@{sha}@{sha}"), E::InvalidFormat),
        ok(&format!("foo:bar@{sha}"), "foo", "", "bar", &sha),
        err(
            &format!("foo:bar@sha256:{}", "F".repeat(64)),
            E::DigestInvalidFormat,
        ),
        ok(&"a".repeat(255), &"a".repeat(255), "", "", ""),
        err(&"a".repeat(256), E::NameTooLong),
        ok(
            &format!("{}/{}", "a".repeat(300), "b".repeat(255)),
            &format!("{}/{}", "a".repeat(300), "b".repeat(255)),
            &"a".repeat(300),
            "",
            "",
        ),
        ok("localhost:5000", "localhost", "", "5000", ""),
        ok("localhost/foo", "localhost/foo", "localhost", "", ""),
        ok("host:0/foo", "host:0/foo", "host:0", "", ""),
        ok(
            "host:99999999999/foo",
            "host:99999999999/foo",
            "host:99999999999",
            "",
            "",
        ),
        err("host:/foo", E::InvalidFormat),
        err(":5000/foo", E::InvalidFormat),
        err("test.com:http/foo", E::InvalidFormat),
        err("::1/foo", E::InvalidFormat),
        err("fc00::1:5000/debian", E::InvalidFormat),
        err("[2001:db8:3:4::192.0.2.33]:5000/x", E::InvalidFormat),
        err("[]/foo", E::InvalidFormat),
        err("[::1]:/foo", E::InvalidFormat),
        err("[fd00:1:2::3]75050/foo", E::InvalidFormat),
        ok(
            "[fd00123123123]:75050/foo",
            "[fd00123123123]:75050/foo",
            "[fd00123123123]:75050",
            "",
            "",
        ),
        ok("[::FFFF]/foo", "[::FFFF]/foo", "[::FFFF]", "", ""),
        ok("Asdf.com/foo/bar", "Asdf.com/foo/bar", "Asdf.com", "", ""),
        ok("FOO/bar", "FOO/bar", "FOO", "", ""),
        ok(
            "Uppercase/lowercase:tag",
            "Uppercase/lowercase",
            "Uppercase",
            "tag",
            "",
        ),
        err("docker/Docker", E::NameContainsUppercase),
        err("example.com/Foo", E::NameContainsUppercase),
        err("Foo:TAG", E::NameContainsUppercase),
        err("ubuntuK", E::NameContainsUppercase),
        err("ubuntu\u{212A}", E::NameContainsUppercase),
        err("foo\u{0130}", E::NameContainsUppercase),
        ok("foo__bar", "foo__bar", "", "", ""),
        ok("foo--bar", "foo--bar", "", "", ""),
        ok("docker---rules", "docker---rules", "", "", ""),
        err("foo___bar", E::InvalidFormat),
        err("foo..bar", E::InvalidFormat),
        err("dock_.er", E::InvalidFormat),
        err("dock-.er", E::InvalidFormat),
        err("a._b", E::InvalidFormat),
        err("-a", E::InvalidFormat),
        err("_a", E::InvalidFormat),
        err(".a", E::InvalidFormat),
        err("a-", E::InvalidFormat),
        err("a_", E::InvalidFormat),
        err("a.", E::InvalidFormat),
        err("foo//bar", E::InvalidFormat),
        err("docker///docker", E::InvalidFormat),
        err("foo/", E::InvalidFormat),
        err("/foo", E::InvalidFormat),
        err("example.com/", E::InvalidFormat),
        err("example.com//foo", E::InvalidFormat),
        err("ubuntu\n", E::InvalidFormat),
        err(" ubuntu", E::InvalidFormat),
        err("ubu ntu", E::InvalidFormat),
        err("ub\u{0}untu", E::InvalidFormat),
        err("ubü", E::InvalidFormat),
        err("☃.com/foo", E::InvalidFormat),
        err("bücher.de/foo", E::InvalidFormat),
        ok(
            "xn--bcher-kva.de/foo",
            "xn--bcher-kva.de/foo",
            "xn--bcher-kva.de",
            "",
            "",
        ),
        ok(HEX64, HEX64, "", "", ""),
        ok("999.1.1.1/foo", "999.1.1.1/foo", "999.1.1.1", "", ""),
        err("../../etc/shadow", E::InvalidFormat),
        err("reg.example.org/../../x", E::InvalidFormat),
        err("reg.example.org/./x", E::InvalidFormat),
    ]
}

#[test]
fn reference_parse_table() {
    let rows = reference_parse_rows();
    for (input, want) in &rows {
        let got = parse(input);
        match (want, got) {
            (Err(e), Err(g)) => assert_eq!(*e, g, "error for {input:?}"),
            (Err(e), Ok(r)) => panic!("{input:?}: expected {e:?}, parsed {r:?}"),
            (Ok(_), Err(g)) => panic!("{input:?}: unexpected error {g:?}"),
            (Ok((name, domain, tag, digest)), Ok(r)) => {
                assert_eq!(r.to_string(), *input, "round trip");
                assert_eq!(r.name(), *name, "name of {input:?}");
                assert_eq!(
                    r.domain().map_or("", Domain::as_str),
                    domain,
                    "domain of {input:?}"
                );
                assert_eq!(r.tag().unwrap_or(""), tag, "tag of {input:?}");
                assert_eq!(r.digest().unwrap_or(""), digest, "digest of {input:?}");
            }
        }
    }
    assert!(rows.len() >= 120, "{} rows", rows.len());
}

/// `TestWithNameFailure`: names that must not parse as a name.
#[test]
fn with_name_failure_table() {
    let sha = format!("sha256:{F64}");
    for input in [
        String::new(),
        ":justtag".to_owned(),
        format!("@{sha}"),
        format!("validname@invaliddigest:{F64}"),
        "example.com/repo:tag".to_owned(),
        format!("example.com/{}", "a".repeat(256)),
        "aa/asdf$$^/aa".to_owned(),
    ] {
        let as_name = split_name(&input).filter(|(_, p)| p.len() <= MAX_PATH_BYTES);
        assert!(as_name.is_none(), "{input:?} parsed as a name");
    }
}

/// `TestParseNamed`: a canonical name is one that normalizes to itself.
#[test]
fn parse_named_table() {
    for (input, canonical) in [
        ("test.com/foo", true),
        ("test:8080/foo", true),
        ("test_com/foo", false),
        ("test.com", false),
        ("foo", false),
        ("library/foo", false),
        ("docker.io/library/foo", true),
        ("docker.io/foo", false),
    ] {
        let r = parse_normalized_named(input).unwrap();
        assert_eq!(r.to_string() == input, canonical, "{input}");
    }
}

/// `TestDomainAndPath`: the raw split.
#[test]
fn domain_and_path_table() {
    for (input, domain, path) in [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "", "test_com/foo"),
        ("test:8080/foo", "test:8080", "foo"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
    ] {
        let r = parse(input).unwrap();
        assert_eq!(r.domain().map_or("", Domain::as_str), domain, "{input}");
        assert_eq!(r.path().as_str(), path, "{input}");
    }
}

/// `TestDomainRegexp`.
#[test]
fn domain_regexp_table() {
    for (input, want) in [
        ("test.com", true),
        ("test.com:10304", true),
        ("test.com:http", false),
        ("localhost", true),
        ("localhost:8080", true),
        ("a", true),
        ("a.b", true),
        ("ab.cd.com", true),
        ("a-b.com", true),
        ("-ab.com", false),
        ("ab-.com", false),
        ("ab.c-om", true),
        ("ab.-com", false),
        ("ab.com-", false),
        ("0101.com", true),
        ("001a.com", true),
        ("b.gbc.io:443", true),
        ("b.gbc.io", true),
        ("xn--n3h.com", true),
        ("Asdf.com", true),
        ("192.168.1.1:75050", true),
        ("192.168.1.1:750050", true),
        ("[fd00:1:2::3]:75050", true),
        ("[fd00:1:2::3]75050", false),
        ("[fd00:1:2::3]::75050", false),
        ("[fd00:1:2::3%eth0]:75050", false),
        ("[fd00123123123]:75050", true),
        ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true),
        ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true),
        ("fd00:1:2::3:75050", false),
        // Ours.
        ("", false),
        ("a..b", false),
        ("a_b.com", false),
        ("[]", false),
        ("[::1]:", false),
    ] {
        assert_eq!(is_host_port(input), want, "{input:?}");
        assert_eq!(Domain::parse(input).is_some(), want, "{input:?}");
    }
}

/// `TestFullNameRegexp`: (input, Some((domain, path))) or None for no match.
#[test]
fn full_name_regexp_table() {
    let long_in = format!("{}a", "a/".repeat(128));
    let long_path = format!("{}a", "a/".repeat(127));
    let rows: Vec<(&str, Option<(&str, &str)>)> = vec![
        ("", None),
        ("short", Some(("", "short"))),
        ("simple/name", Some(("simple", "name"))),
        ("library/ubuntu", Some(("library", "ubuntu"))),
        ("docker/stevvooe/app", Some(("docker", "stevvooe/app"))),
        (
            "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb",
            Some(("aa", "aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb")),
        ),
        ("aa/aa/bb/bb/bb", Some(("aa", "aa/bb/bb/bb"))),
        ("a/a/a/a", Some(("a", "a/a/a"))),
        ("a/a/a/a/", None),
        ("a//a/a", None),
        ("a", Some(("", "a"))),
        ("a/aa", Some(("a", "aa"))),
        ("a/aa/a", Some(("a", "aa/a"))),
        ("foo.com", Some(("", "foo.com"))),
        ("foo.com/", None),
        ("foo.com:8080/bar", Some(("foo.com:8080", "bar"))),
        ("foo.com:http/bar", None),
        ("foo.com/bar", Some(("foo.com", "bar"))),
        ("foo.com/bar/baz", Some(("foo.com", "bar/baz"))),
        ("localhost:8080/bar", Some(("localhost:8080", "bar"))),
        (
            "sub-dom1.foo.com/bar/baz/quux",
            Some(("sub-dom1.foo.com", "bar/baz/quux")),
        ),
        ("blog.foo.com/bar/baz", Some(("blog.foo.com", "bar/baz"))),
        ("a^a", None),
        ("aa/asdf$$^/aa", None),
        ("asdf$$^/aa", None),
        ("aa-a/a", Some(("aa-a", "a"))),
        (long_in.as_str(), Some(("a", long_path.as_str()))),
        ("a-/a/a/a", None),
        ("foo.com/a-/a/a", None),
        ("-foo/bar", None),
        ("foo/bar-", None),
        ("foo-/bar", None),
        ("foo/-bar", None),
        ("_foo/bar", None),
        ("foo_bar", Some(("", "foo_bar"))),
        ("foo_bar.com", Some(("", "foo_bar.com"))),
        ("foo_bar.com:8080", None),
        ("foo_bar.com:8080/app", None),
        ("foo.com/foo_bar", Some(("foo.com", "foo_bar"))),
        ("____/____", None),
        ("_docker/_docker", None),
        ("docker_/docker_", None),
        (
            "b.gcr.io/test.example.com/my-app",
            Some(("b.gcr.io", "test.example.com/my-app")),
        ),
        ("xn--n3h.com/myimage", Some(("xn--n3h.com", "myimage"))),
        ("xn--7o8h.com/myimage", Some(("xn--7o8h.com", "myimage"))),
        (
            "example.com/xn--7o8h.com/myimage",
            Some(("example.com", "xn--7o8h.com/myimage")),
        ),
        (
            "example.com/some_separator__underscore/myimage",
            Some(("example.com", "some_separator__underscore/myimage")),
        ),
        ("example.com/__underscore/myimage", None),
        ("example.com/..dots/myimage", None),
        ("example.com/.dots/myimage", None),
        ("example.com/nodouble..dots/myimage", None),
        ("docker./docker", None),
        (".docker/docker", None),
        ("docker-/docker", None),
        ("-docker/docker", None),
        ("do..cker/docker", None),
        ("do__cker:8080/docker", None),
        ("do__cker/docker", Some(("", "do__cker/docker"))),
        (
            "registry.io/foo/project--id.module--name.ver---sion--name",
            Some((
                "registry.io",
                "foo/project--id.module--name.ver---sion--name",
            )),
        ),
        ("Asdf.com/foo/bar", Some(("Asdf.com", "foo/bar"))),
        ("Foo/FarB", None),
    ];
    for (input, want) in rows {
        let got = split_name(input).map(|(d, p)| (d.unwrap_or(""), p));
        assert_eq!(got, want, "{input:?}");
    }
}

/// `TestReferenceRegexp`: (input, Some((name, tag, digest))) or None.
#[test]
fn reference_regexp_table() {
    let d = "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912";
    type Row<'a> = (String, Option<(&'a str, &'a str, &'a str)>);
    let rows: Vec<Row<'_>> = vec![
        (
            "registry.com:8080/myapp:tag".into(),
            Some(("registry.com:8080/myapp", "tag", "")),
        ),
        (
            format!("registry.com:8080/myapp@{d}"),
            Some(("registry.com:8080/myapp", "", d)),
        ),
        (
            format!("registry.com:8080/myapp:tag2@{d}"),
            Some(("registry.com:8080/myapp", "tag2", d)),
        ),
        ("registry.com:8080/myapp@sha256:badbadbadbad".into(), None),
        ("registry.com:8080/myapp:invalid~tag".into(), None),
        ("bad_hostname.com:8080/myapp:tag".into(), None),
        (
            format!("localhost:8080@{d}"),
            Some(("localhost", "8080", d)),
        ),
        (
            format!("localhost:8080/name@{d}"),
            Some(("localhost:8080/name", "", d)),
        ),
        (format!("localhost:http/name@{d}"), None),
        (format!("localhost@{d}"), Some(("localhost", "", d))),
        ("registry.com:8080/myapp@bad".into(), None),
        ("registry.com:8080/myapp@2bad".into(), None),
    ];
    for (input, want) in rows {
        let got = split_syntax(&input).map(|p| {
            let name = &input[..p.domain.map_or(0, |d| d.len() + 1) + p.path.len()];
            (name, p.tag.unwrap_or(""), p.digest.unwrap_or(""))
        });
        assert_eq!(got, want, "{input:?}");
    }
}

/// `TestValidateReferenceName` and `TestValidateRemoteName` through
/// `ParseNormalizedNamed`.
#[test]
fn validate_reference_and_remote_name_tables() {
    let valid = [
        "docker/docker",
        "library/debian",
        "debian",
        "docker.io/docker/docker",
        "docker.io/library/debian",
        "docker.io/debian",
        "index.docker.io/docker/docker",
        "index.docker.io/library/debian",
        "index.docker.io/debian",
        "127.0.0.1:5000/docker/docker",
        "127.0.0.1:5000/library/debian",
        "127.0.0.1:5000/debian",
        "192.168.0.1",
        "192.168.0.1:80",
        "192.168.0.1:8/debian",
        "192.168.0.2:25000/debian",
        "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
        "[fc00::1]:5000/docker",
        "[fc00::1]:5000/docker/docker",
        "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
        "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "Docker/docker",
        "DOCKER/docker",
        // TestValidateRemoteName
        "docker-rules/docker",
        "docker---rules/docker",
        "doc/docker",
        "d/docker",
        "jess/t",
        "dock__er/docker",
    ];
    for name in valid {
        assert!(
            parse_normalized_named(name).is_ok(),
            "{name:?} should be valid"
        );
    }
    let invalid = [
        "https://github.com/docker/docker",
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "-docker.io/docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "docker.io/docker///docker",
        "[fc00::1]",
        "[fc00::1]:5000",
        "fc00::1:5000/debian",
        "[fe80::1%eth0]:5000/debian",
        "[2001:db8:3:4::192.0.2.33]:5000/debian",
        HEX64,
        // TestValidateRemoteName
        "docker-/docker",
        "-docker-/docker",
        "____/____",
        "_docker/_docker",
        "dock..er/docker",
        "dock_.er/docker",
        "dock-.er/docker",
        "docker/",
        "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
    ];
    for name in invalid {
        assert!(
            parse_normalized_named(name).is_err(),
            "{name:?} should be invalid"
        );
    }
    assert_eq!(parse_normalized_named(HEX64), Err(E::HexIdentifier));
    assert_eq!(
        parse_normalized_named("docker/Docker"),
        Err(E::RepositoryNotLowercase)
    );
}

/// `TestParseRepositoryInfo`: every spelling normalizes to the full name.
#[test]
fn parse_repository_info_table() {
    let rows: [(&str, &str, &str, &[&str]); 16] = [
        (
            "fooo/bar",
            "docker.io/fooo/bar",
            "docker.io",
            &["fooo/bar", "index.docker.io/fooo/bar"],
        ),
        (
            "library/ubuntu",
            "docker.io/library/ubuntu",
            "docker.io",
            &["ubuntu", "library/ubuntu"],
        ),
        (
            "nonlibrary/ubuntu",
            "docker.io/nonlibrary/ubuntu",
            "docker.io",
            &["nonlibrary/ubuntu"],
        ),
        (
            "other/library",
            "docker.io/other/library",
            "docker.io",
            &["other/library"],
        ),
        (
            "private/moonbase",
            "127.0.0.1:8000/private/moonbase",
            "127.0.0.1:8000",
            &[],
        ),
        (
            "privatebase",
            "127.0.0.1:8000/privatebase",
            "127.0.0.1:8000",
            &[],
        ),
        (
            "private/moonbase",
            "example.com/private/moonbase",
            "example.com",
            &[],
        ),
        ("privatebase", "example.com/privatebase", "example.com", &[]),
        (
            "private/moonbase",
            "example.com:8000/private/moonbase",
            "example.com:8000",
            &[],
        ),
        (
            "privatebasee",
            "example.com:8000/privatebasee",
            "example.com:8000",
            &[],
        ),
        (
            "library/ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base",
            "docker.io",
            &[
                "ubuntu-12.04-base",
                "index.docker.io/library/ubuntu-12.04-base",
            ],
        ),
        (
            "library/foo",
            "docker.io/library/foo",
            "docker.io",
            &["foo", "docker.io/foo"],
        ),
        (
            "library/foo/bar",
            "docker.io/library/foo/bar",
            "docker.io",
            &["library/foo/bar"],
        ),
        (
            "store/foo/bar",
            "docker.io/store/foo/bar",
            "docker.io",
            &["store/foo/bar"],
        ),
        ("bar", "Foo/bar", "Foo", &[]),
        ("bar", "FOO/bar", "FOO", &[]),
    ];
    for (remote, full, domain, others) in rows {
        for input in others.iter().copied().chain([full]) {
            let r = parse_normalized_named(input).unwrap();
            assert_eq!(r.name(), full, "{input}");
            assert_eq!(r.domain().map(Domain::as_str), Some(domain), "{input}");
            assert_eq!(r.path().as_str(), remote, "{input}");
        }
    }
}

/// `TestParseReferenceWithTagAndDigest` and `TestInvalidReferenceComponents`.
#[test]
fn tag_and_digest_and_invalid_components() {
    let short =
        "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
    let r = parse_normalized_named(short).unwrap();
    assert_eq!(r.to_string(), format!("docker.io/library/{short}"));
    assert_eq!(r.tag(), Some("latest"));
    assert!(r.digest().is_some());
    assert!(parse_normalized_named("-foo").is_err());
    assert!(!is_tag("-foo"));
    assert!(!is_digest_syntax("foo"));
}

/// `TestNormalizedSplitHostname` plus the `image-reference.md` docker.io rows.
#[test]
fn normalized_split_hostname_table() {
    for (input, domain, path) in [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        // Ours.
        ("index.docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library", "docker.io", "library/library"),
        ("docker.io:443/foo", "docker.io:443", "foo"),
        ("Docker.io/foo", "Docker.io", "foo"),
        ("registry-1.docker.io/foo", "registry-1.docker.io", "foo"),
        ("localhost/foo", "localhost", "foo"),
        ("localhost:5000", "docker.io", "library/localhost"),
        ("example.com", "docker.io", "library/example.com"),
        ("[::1]:5000/foo", "[::1]:5000", "foo"),
        ("ubuntu:22.04", "docker.io", "library/ubuntu"),
        (
            &"a".repeat(247),
            "docker.io",
            &format!("library/{}", "a".repeat(247)),
        ),
    ] {
        let r = parse_normalized_named(input).unwrap();
        assert_eq!(r.domain().map_or("", Domain::as_str), domain, "{input}");
        assert_eq!(r.path().as_str(), path, "{input}");
    }
}

#[test]
fn normalized_quirks() {
    // The normalized domain can be empty when the first component is no host.
    for input in ["foo_bar.com/baz", "do__cker.io/foo"] {
        let r = parse_normalized_named(input).unwrap();
        assert_eq!(r.domain(), None, "{input}");
        assert_eq!(r.path().as_str(), input);
    }
    assert!(parse_normalized_named("foo_bar.com:8080/app").is_err());
    // The 255 limit counts the normalized path.
    assert_eq!(
        parse_normalized_named(&"a".repeat(248)),
        Err(E::NameTooLong)
    );
    assert!(parse(&"a".repeat(248)).is_ok());
    assert_eq!(
        parse_normalized_named(&format!("x/{}", "a".repeat(254))),
        Err(E::NameTooLong)
    );
    assert!(parse(&format!("x/{}", "a".repeat(254))).is_ok());
    // `foo@SHA256:...` fails on the lowercase check before the digest check.
    assert_eq!(
        parse_normalized_named(&format!("foo@SHA256:{F64}")),
        Err(E::RepositoryNotLowercase)
    );
    // The empty string is an invalid format for ParseNormalizedNamed.
    assert_eq!(parse_normalized_named(""), Err(E::InvalidFormat));
    // A bare 64-hex identifier is only refused when it is the whole input.
    assert!(parse_normalized_named(&format!("{HEX64}:tag")).is_ok());
    assert!(parse_normalized_named(&HEX64[..63]).is_ok());
    assert_eq!(
        parse_normalized_named(&HEX64.to_uppercase()),
        Err(E::RepositoryNotLowercase)
    );
}

#[test]
fn miri_file_stems_lowercase_the_host_and_keep_the_port() {
    let d = Domain::parse("Registry.Example.ORG:5000").unwrap();
    assert_eq!(d.host(), "Registry.Example.ORG");
    assert_eq!(d.port(), Some("5000"));
    assert_eq!(d.file_stem(), "registry.example.org:5000");
    assert_eq!(d.wildcard_stem().as_deref(), Some("*.example.org:5000"));
    let v6 = Domain::parse("[::FFFF]:5000").unwrap();
    assert_eq!(v6.host(), "[::FFFF]");
    assert_eq!(v6.file_stem(), "[::ffff]:5000");
    assert_eq!(v6.wildcard_stem(), None);
    assert_eq!(Domain::parse("localhost").unwrap().wildcard_stem(), None);
    assert_eq!(
        Domain::parse("docker.io")
            .unwrap()
            .wildcard_stem()
            .as_deref(),
        Some("*.io")
    );
}

/// Issue 21, item 8: go-digest v1.0.0, which the kubelet vendors, accepts
/// sha384 (96 lowercase hex digits) whenever `crypto/sha512` is linked, as
/// it is in the kubelet; `check IMAGE` judges such an image as it does.
#[test]
fn regression_issue_21_sha384_digests_are_accepted_as_the_kubelet_does() {
    let f96 = "f".repeat(96);
    let image = format!("ghcr.io/acme/app@sha384:{f96}");
    let r = parse_normalized_named(&image).unwrap();
    assert_eq!(r.digest(), Some(format!("sha384:{f96}").as_str()));
    assert_eq!(parse(&image).unwrap().to_string(), image);
    for (hex, e) in [
        ("f".repeat(95), E::DigestInvalidLength),
        ("f".repeat(97), E::DigestInvalidLength),
        (F128.to_owned(), E::DigestInvalidLength),
        ("F".repeat(96), E::DigestInvalidFormat),
    ] {
        assert_eq!(parse(&format!("a@sha384:{hex}")), Err(e), "{hex}");
    }
}

//! The kubelet protocol end to end (issue 2): every answer exact, every
//! refusal exit 1 with nothing on stdout and no secret anywhere.

use crate::util::*;

#[test]
fn echoes_each_api_version_byte_for_byte() {
    let s = Scratch::new("versions");
    s.cred("registry.example.org.json", "u", "p");
    for v in ["v1", "v1beta1", "v1alpha1"] {
        let api = format!("credentialprovider.kubelet.k8s.io/{v}");
        let out = s.run(request_v(&api, "registry.example.org/app").as_bytes());
        out.answered(
            &Expect::registry("registry.example.org")
                .creds("u", "p")
                .api_version(&api)
                .json(),
        );
    }
}

#[test]
fn answers_docker_hub_images_from_docker_io_json() {
    let s = Scratch::new("hub");
    s.cred("docker.io.json", "hubuser", "hubpass");
    for image in ["docker.io/library/nginx", "docker.io/user/app"] {
        s.run(request(image).as_bytes()).answered(
            &Expect::registry("docker.io")
                .creds("hubuser", "hubpass")
                .json(),
        );
    }
    // Forms a non-kubelet caller may send are normalized the same way.
    for image in [
        "nginx",
        "nginx:1.25",
        "user/app@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "index.docker.io/user/app",
    ] {
        s.run(request(image).as_bytes()).answered(
            &Expect::registry("docker.io")
                .creds("hubuser", "hubpass")
                .json(),
        );
    }
}

#[test]
fn answers_a_port_only_from_its_port_file() {
    let s = Scratch::new("port");
    s.cred("registry.example.org.json", "plain", "plainpass");
    s.cred("registry.example.org:5000.json", "ported", "portedpass");
    s.run(request("registry.example.org:5000/team/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org:5000")
                .creds("ported", "portedpass")
                .json(),
        );
    s.run(request("registry.example.org/team/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("plain", "plainpass")
                .json(),
        );
}

#[test]
fn never_answers_a_port_from_the_plain_host_file_or_the_reverse() {
    let s = Scratch::new("noport");
    s.cred("registry.example.org.json", "plain", "plainpass");
    s.run(request("registry.example.org:5000/app").as_bytes())
        .answered(&no_credentials());
    let t = Scratch::new("noport2");
    t.cred("registry.example.org:5000.json", "ported", "portedpass");
    t.run(request("registry.example.org/app").as_bytes())
        .answered(&no_credentials());
    t.run(request("registry.example.org:5001/app").as_bytes())
        .answered(&no_credentials());
}

#[test]
fn answers_ipv6_literals_with_port() {
    let s = Scratch::new("ipv6");
    s.cred("[::1]:5000.json", "six", "sixpass");
    s.run(request("[::1]:5000/foo").as_bytes()).answered(
        &Expect::registry("[::1]:5000")
            .creds("six", "sixpass")
            .json(),
    );
    s.run(request("[::1]/foo").as_bytes())
        .answered(&no_credentials());
}

/// Found by the `matcher` fuzz target: the kubelet's matcher reads the
/// brackets of an IPv6 host without a port as a glob class, so no answer for
/// `[::1]/foo` can ever be used. The self-check refuses with the reason.
#[test]
fn regression_fuzz_matcher_ipv6_without_port_is_refused_with_the_reason() {
    let s = Scratch::new("ipv6-noport");
    s.cred("[::1].json", "six", "sixpass");
    let out = s.run(request("[::1]/foo").as_bytes());
    assert_eq!(
        out.refused(),
        "the kubelet would not use an answer keyed \"[::1]\" for image \"[::1]/foo\", so nothing was answered; the kubelet cannot match an IPv6 registry without a port: use [address]:port"
    );
    out.never_shows("sixpass");
}

#[test]
fn wildcard_file_answers_exactly_one_extra_label() {
    let s = Scratch::new("wildcard");
    s.cred("*.example.org.json", "wild", "wildpass");
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("wild", "wildpass")
                .json(),
        );
    s.run(request("a.b.example.org/app").as_bytes())
        .answered(&no_credentials());
    s.run(request("example.org/app").as_bytes())
        .answered(&no_credentials());
    s.run(request("registry.example.org:5000/app").as_bytes())
        .answered(&no_credentials());
}

#[test]
fn host_file_wins_over_wildcard_and_keeps_the_host_case() {
    let s = Scratch::new("hostwins");
    s.cred("*.example.org.json", "wild", "wildpass");
    s.cred("registry.example.org.json", "host", "hostpass");
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("host", "hostpass")
                .json(),
        );
    // The file name is the lowercased host; the key is the domain as written,
    // which is what the kubelet's case-sensitive matcher compares.
    s.run(request("Registry.Example.ORG/app").as_bytes())
        .answered(
            &Expect::registry("Registry.Example.ORG")
                .creds("host", "hostpass")
                .json(),
        );
}

#[test]
fn regression_parent_domain_file_never_answers_other_hosts() {
    // The Python original answered every *.org host from org.json.
    let s = Scratch::new("parent");
    s.cred("org.json", "org", "orgpass");
    s.cred("example.org.json", "ex", "expass");
    for image in [
        "evil.org/x",
        "anything.attacker.org/x",
        "registry.example.org/x",
    ] {
        let out = s.run(request(image).as_bytes());
        out.answered(&no_credentials());
        out.never_shows("orgpass");
        out.never_shows("expass");
    }
}

#[test]
fn durations_come_from_the_file_printed_as_go_prints_them() {
    let s = Scratch::new("durations");
    for (i, (written, printed)) in [
        ("1h30m", "1h30m0s"),
        ("0h5m0s", "5m0s"),
        ("0", "0s"),
        ("90s", "1m30s"),
        ("1.5s", "1.5s"),
    ]
    .into_iter()
    .enumerate()
    {
        let host = format!("r{i}.example.org");
        s.file(
            &format!("{host}.json"),
            &format!(r#"{{"username":"u","password":"p","duration":"{written}"}}"#),
            0o600,
        );
        s.run(request(&format!("{host}/app")).as_bytes()).answered(
            &Expect::registry(&host)
                .creds("u", "p")
                .duration(printed)
                .json(),
        );
    }
    s.cred("default.example.org.json", "u", "p");
    s.run(request("default.example.org/app").as_bytes())
        .answered(
            &Expect::registry("default.example.org")
                .creds("u", "p")
                .json(),
        );
}

#[test]
fn credentials_with_quotes_backslashes_newlines_and_unicode_round_trip() {
    let s = Scratch::new("escapes");
    s.file(
        "registry.example.org.json",
        r#"{"username":"us\"er\\name","password":"pa\nss\t\u0001wörd☃\ud83d\udc33"}"#,
        0o600,
    );
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds(r#"us\"er\\name"#, "pa\\nss\\t\\u0001wörd☃🐳")
                .json(),
        );
}

#[test]
fn empty_username_and_password_are_valid() {
    let s = Scratch::new("empty");
    s.cred("registry.example.org.json", "", "");
    s.run(request("registry.example.org/app").as_bytes())
        .answered(
            &Expect::registry("registry.example.org")
                .creds("", "")
                .json(),
        );
}

#[test]
fn no_file_means_no_credentials_and_no_caching() {
    let s = Scratch::new("nofile");
    s.run(request("registry.example.org/app").as_bytes())
        .answered(&no_credentials());
    // A normalized name with no registry at all (upstream quirk) is answered the same way.
    s.run(request("foo_bar.com/baz").as_bytes())
        .answered(&no_credentials());
}

#[test]
fn answers_a_request_with_a_service_account_token_and_never_shows_it() {
    let s = Scratch::new("token");
    s.cred("registry.example.org.json", "u", "p");
    let token = jwt("tok-7c1e5b2a", "never-print");
    let body = request_with_token("registry.example.org/app", &token);
    let out = s.run(body.as_bytes());
    out.answered(
        &Expect::registry("registry.example.org")
            .creds("u", "p")
            .json(),
    );
    out.never_shows(&token);
    // And on a refusal.
    let bad = body.replace("registry.example.org/app", "Bad/Image");
    let out = s.run(bad.as_bytes());
    out.refused();
    out.never_shows(&token);
}

#[test]
fn refuses_malformed_requests() {
    let s = Scratch::new("badreq");
    // 100,000 nested brackets exceed the size limit; 32,000 fit and must be
    // refused as "not an object" without exhausting the stack.
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested_fits = format!("{}{}", "[".repeat(32_000), "]".repeat(32_000));
    let huge = format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{V1}","image":"a/b","pad":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let cases: Vec<(Vec<u8>, String)> = vec![
        (b"".to_vec(), "the request on stdin is empty".into()),
        (b"  \n".to_vec(), "the request on stdin is empty".into()),
        (b"not json".to_vec(), "the request on stdin is not a JSON object whose kind, apiVersion, image (and serviceAccountToken, if any) are strings".into()),
        (b"[]".to_vec(), "the request on stdin is not a JSON object whose kind, apiVersion, image (and serviceAccountToken, if any) are strings".into()),
        (nested.into_bytes(), "the request on stdin is larger than 65536 bytes".into()),
        (nested_fits.into_bytes(), "the request on stdin is not a JSON object whose kind, apiVersion, image (and serviceAccountToken, if any) are strings".into()),
        (b"\xff\xfe{}".to_vec(), "the request on stdin is not valid UTF-8".into()),
        (huge.into_bytes(), "the request on stdin is larger than 65536 bytes".into()),
        (
            format!(r#"{{"kind":"CredentialProviderResponse","apiVersion":"{V1}","image":"a/b"}}"#).into_bytes(),
            "the request kind is \"CredentialProviderResponse\", not CredentialProviderRequest".into(),
        ),
        (
            request_v("credentialprovider.kubelet.k8s.io/v2", "a/b").into_bytes(),
            "the request apiVersion \"credentialprovider.kubelet.k8s.io/v2\" is not supported; expected credentialprovider.kubelet.k8s.io/v1, /v1beta1 or /v1alpha1".into(),
        ),
        (
            request_v("foobar.kubelet.k8s.io/v1beta1", "a/b").into_bytes(),
            "the request apiVersion \"foobar.kubelet.k8s.io/v1beta1\" is not supported; expected credentialprovider.kubelet.k8s.io/v1, /v1beta1 or /v1alpha1".into(),
        ),
        (
            format!(r#"{{"kind":"CredentialProviderRequest","apiVersion":"{V1}"}}"#).into_bytes(),
            "the request has no image".into(),
        ),
        (
            format!(r#"{{"kind":"CredentialProviderRequest","apiVersion":"{V1}","image":42}}"#).into_bytes(),
            "the request on stdin is not a JSON object whose kind, apiVersion, image (and serviceAccountToken, if any) are strings".into(),
        ),
        (request("Registry.Example.org/App").into_bytes(), "invalid image \"Registry.Example.org/App\": repository name must be lowercase".into()),
        (request("").into_bytes(), "invalid image \"\": invalid reference format".into()),
        (request("http://registry/x").into_bytes(), "invalid image \"http://registry/x\": invalid reference format".into()),
        (
            request("ubuntu\\u001b[31m\\nforged").into_bytes(),
            "invalid image \"ubuntu\\u{001B}[31m\\nforged\": invalid reference format".into(),
        ),
    ];
    for (body, message) in cases {
        let out = s.run(&body);
        assert_eq!(
            out.refused(),
            message,
            "for {:?}",
            String::from_utf8_lossy(&body)
                .chars()
                .take(80)
                .collect::<String>()
        );
    }
}

#[test]
fn refuses_bad_credential_files_naming_the_key_never_the_value() {
    let secret = "S3CR3T-pw-1f0e";
    let cases = [
        (
            format!(r#"{{"username":"u","pasword":"{secret}"}}"#),
            " has an unknown key \"pasword\" (did you mean \"password\"?); the keys are username, password and duration",
        ),
        (
            format!(r#"{{"username":"u","password":"{secret}","password":"{secret}2"}}"#),
            " has the key \"password\" more than once",
        ),
        (
            format!(r#"{{"username":["{secret}"],"password":"{secret}"}}"#),
            ": the value of \"username\" must be a string",
        ),
        (
            format!(r#"{{"username":"u","password":"{secret}","duration":"1d"}}"#),
            ": the value of \"duration\" has an unknown unit (use ns, us, ms, s, m or h; there is no d)",
        ),
        (
            format!(r#"{{"username":"u","password":"{secret}","duration":""}}"#),
            ": the value of \"duration\" is not a Go duration such as \"5m\" or \"1h30m\"",
        ),
        (
            format!(r#"{{"username":"u","password":"{secret}","duration":"300"}}"#),
            ": the value of \"duration\" has a number without a unit (use ns, us, ms, s, m or h)",
        ),
        (
            format!(r#"{{"username":"u","password":"{secret}","duration":"-5m"}}"#),
            ": the value of \"duration\" is negative",
        ),
        (
            format!(r#"{{"username":"u","password":"{secret}""#),
            " is not valid JSON",
        ),
        (format!(r#"["u","{secret}"]"#), " must hold one JSON object"),
        (r#"{"username":"u"}"#.to_owned(), " has no key \"password\""),
    ];
    for (contents, reason) in cases {
        let s = Scratch::new("badfile");
        let path = s.file("registry.example.org.json", &contents, 0o600);
        let out = s.run(request("registry.example.org/app").as_bytes());
        assert_eq!(
            out.refused(),
            format!("{}{reason}", path.display()),
            "{contents}"
        );
        out.never_shows(secret);
    }
}

#[test]
fn help_version_and_usage_errors() {
    let help = run(&["--help"], b"");
    assert_eq!(help.code, 0);
    assert!(
        help.stdout
            .starts_with("generic-credential-provider: a kubelet image credential provider")
    );
    let version = run(&["--version"], b"");
    assert_eq!(version.code, 0);
    // `generic-credential-provider VERSION (COMMIT, TARGET)`: the commit is
    // what the release script built, `unknown` for a plain cargo build.
    let line = version.stdout.strip_suffix(")\n").unwrap();
    let rest = line
        .strip_prefix(concat!(
            "generic-credential-provider ",
            env!("CARGO_PKG_VERSION"),
            " ("
        ))
        .unwrap();
    let (commit, target) = rest.split_once(", ").unwrap();
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{line}"
    );
    assert!(
        target.ends_with("-unknown-linux-musl") || target.ends_with("-unknown-linux-gnu"),
        "{line}"
    );
    let bad = run(&["--bogus"], b"");
    assert_eq!((bad.code, bad.stdout.as_str()), (2, ""));
    assert_eq!(
        bad.stderr,
        "generic-credential-provider: unknown option \"--bogus\"; see --help\n"
    );
    let relative = run(&["--credroot", "etc/kubernetes"], b"");
    assert_eq!(relative.code, 2);
}

#[test]
fn a_missing_credential_root_is_a_refusal_not_an_empty_answer() {
    let s = Scratch::new("noroot");
    let missing = s.dir.join("missing");
    let out = s.run_args(
        &["--credroot", missing.to_str().unwrap()],
        request("registry.example.org/app").as_bytes(),
    );
    assert_eq!(
        out.refused(),
        format!(
            "cannot open {}: No such file or directory",
            missing.display()
        )
    );
}

#[test]
fn accepts_a_request_of_exactly_64_kib_and_refuses_one_byte_more() {
    let s = Scratch::new("limit");
    s.cred("registry.example.org.json", "u", "p");
    let head = format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{V1}","image":"registry.example.org/app","serviceAccountAnnotations":{{"note":"é"}},"pad":""#
    );
    let tail = "\"}\n";
    let pad = 64 * 1024 - head.len() - tail.len();
    let exact = format!("{head}{}{tail}", "x".repeat(pad));
    assert_eq!(exact.len(), 64 * 1024);
    s.run(exact.as_bytes()).answered(
        &Expect::registry("registry.example.org")
            .creds("u", "p")
            .json(),
    );
    let over = format!("{head}{}{tail}", "x".repeat(pad + 1));
    assert_eq!(
        s.run(over.as_bytes()).refused(),
        "the request on stdin is larger than 65536 bytes"
    );
}

//! The kubelet matcher port: never a panic on any glob or target; and for
//! every valid image whose host Go's `url.Parse` accepts, the key the plugin
//! would return (the domain, or the repository key for a repository file)
//! matches that image.
#![no_main]

use generic_credential_provider::lookup::repository_key;
use generic_credential_provider::matcher::{
    answer_matches, glob_match, parse_schemeless, urls_match_str,
};
use generic_credential_provider::reference::parse_normalized_named;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (a, b) = s.split_once('\u{0}').unwrap_or((s, s));
    let _ = urls_match_str(a, b);
    let _ = glob_match(a, b);
    let Ok(image) = parse_normalized_named(a) else { return };
    let name = image.name();
    let Some(domain) = image.domain() else { return };
    if domain.host().starts_with('[')
        && (domain.port().is_none() || parse_schemeless(domain.as_str().as_bytes()).is_err())
    {
        // Without a port the kubelet reads these brackets as a glob class;
        // around anything but an IPv6 address (`[a]:1`, which the reference
        // grammar allows) Go >= 1.24.8 refuses them. Nothing matches, and the
        // plugin's self-check refuses (regression corpus entries).
        assert!(!answer_matches(domain.as_str(), &name));
        return;
    }
    assert!(answer_matches(domain.as_str(), &name), "host key {:?} vs {name:?}", domain.as_str());
    let key = repository_key(domain, image.path());
    assert!(answer_matches(&key, &name), "repository key {key:?} vs {name:?}");
});

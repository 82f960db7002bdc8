//! The kubelet matcher port: never a panic on any glob or target; and for
//! every valid image, the key the plugin would return (the domain, or the
//! repository key for a repository file) matches that image.
#![no_main]

use generic_credential_provider::lookup::repository_key;
use generic_credential_provider::matcher::{answer_matches, glob_match, urls_match_str};
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
    if domain.host().starts_with('[') && domain.port().is_none() {
        // The kubelet reads these brackets as a glob class: nothing matches,
        // and the plugin's self-check refuses (regression corpus entry).
        assert!(!answer_matches(domain.as_str(), &name));
        return;
    }
    assert!(answer_matches(domain.as_str(), &name), "host key {:?} vs {name:?}", domain.as_str());
    let key = repository_key(domain, image.path());
    assert!(answer_matches(&key, &name), "repository key {key:?} vs {name:?}");
});

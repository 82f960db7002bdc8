//! Arbitrary bytes as a credential file: never a panic; an accepted file's
//! username and password come back exactly when written through the response
//! writer and decoded again as the kubelet decodes it.
#![no_main]

use generic_credential_provider::credfile::decode;
use generic_credential_provider::duration::Duration;
use generic_credential_provider::request::ApiVersion;
use generic_credential_provider::response::{Answer, CacheKeyType, kubelet_decode, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(credential) = decode(data) else { return };
    let api_version = ApiVersion::parse("credentialprovider.kubelet.k8s.io/v1").unwrap();
    let answer = Answer {
        api_version,
        cache_key_type: CacheKeyType::Registry,
        cache_duration: credential.duration.unwrap_or(Duration::FIVE_MINUTES),
        auth: Some(("registry.example.org", &credential)),
    };
    let bytes = write(&answer).expect("the buffer is sized for the worst case");
    let auth = kubelet_decode(bytes.as_bytes()).expect("the kubelet must accept every answer");
    assert_eq!(auth.len(), 1);
    let (key, username, password) = &auth[0];
    assert_eq!(key, "registry.example.org");
    assert_eq!(username.as_bytes(), credential.username.as_bytes());
    assert_eq!(password.as_bytes(), credential.password.as_bytes());
});

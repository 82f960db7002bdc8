//! Arbitrary username, password, key and apiVersion through the response
//! writer: the output always decodes, as the kubelet decodes it, to one object
//! with exactly the expected fields and values.
#![no_main]

use generic_credential_provider::credfile::Credential;
use generic_credential_provider::duration::Duration;
use generic_credential_provider::request::ApiVersion;
use generic_credential_provider::response::{Answer, CacheKeyType, kubelet_decode, write};
use generic_credential_provider::secret::Secret;
use libfuzzer_sys::fuzz_target;

const VERSIONS: [&str; 3] = [
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let mut parts = text.splitn(3, '\u{0}');
    let (key, username, password) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let api_version = ApiVersion::parse(VERSIONS[usize::from(selector % 3)]).unwrap();
    let credential = Credential {
        username: Secret::from_string(username.to_owned()),
        password: Secret::from_string(password.to_owned()),
        duration: None,
    };
    let cache_key_type = if selector & 4 == 0 { CacheKeyType::Registry } else { CacheKeyType::Image };
    let nanos = u64::from_le_bytes(rest.get(..8).and_then(|b| b.try_into().ok()).unwrap_or([0; 8])) >> 1;
    let answer = Answer {
        api_version,
        cache_key_type,
        cache_duration: Duration::from_nanos(nanos).unwrap(),
        auth: if selector & 8 == 0 { Some((key, &credential)) } else { None },
    };
    let bytes = write(&answer).expect("the buffer is sized for the worst case");
    let text = std::str::from_utf8(bytes.as_bytes()).expect("UTF-8 in, UTF-8 out");
    assert!(text.ends_with("}\n") && text.matches('\n').count() == 1, "one line: {text:?}");
    let auth = kubelet_decode(bytes.as_bytes()).expect("the kubelet must accept every answer");
    let value: miniserde::json::Value = miniserde::json::from_str(text).unwrap();
    let miniserde::json::Value::Object(top) = value else { panic!("not an object") };
    let field = |k: &str| match top.get(k) {
        Some(miniserde::json::Value::String(s)) => s.clone(),
        other => panic!("{k}: {other:?}"),
    };
    assert_eq!(field("kind"), "CredentialProviderResponse");
    assert_eq!(field("apiVersion"), api_version.as_str());
    assert_eq!(field("cacheKeyType"), cache_key_type.as_str());
    assert_eq!(Duration::parse(&field("cacheDuration")), Ok(answer.cache_duration));
    match answer.auth {
        Some(_) => {
            assert_eq!(top.len(), 5);
            assert_eq!(auth, vec![(key.to_owned(), username.to_owned(), password.to_owned())]);
        }
        None => {
            assert_eq!(top.len(), 4);
            assert!(auth.is_empty());
        }
    }
});

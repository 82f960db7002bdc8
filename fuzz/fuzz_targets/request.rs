//! Arbitrary bytes as a kubelet request, size limit included: never a panic;
//! an accepted request has one of the three apiVersions and a valid image.
#![no_main]

use generic_credential_provider::reference::parse_normalized_named;
use generic_credential_provider::request::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = decode(data) else { return };
    assert!(matches!(
        request.api_version.as_str(),
        "credentialprovider.kubelet.k8s.io/v1"
            | "credentialprovider.kubelet.k8s.io/v1beta1"
            | "credentialprovider.kubelet.k8s.io/v1alpha1"
    ));
    let name = request.image.name();
    assert_eq!(parse_normalized_named(&name).map(|r| r.name()), Ok(name));
});

//! The kubelet's `CredentialProviderConfig` (JSON form), checked with the
//! kubelet's own validation rules (`pkg/credentialprovider/plugin/config.go`)
//! plus the mistakes users make that the kubelet accepts silently: a scheme
//! or a path glob in `matchImages`, a provider `name` that is not this
//! binary's file name. Every finding quotes the offending value, escaped.

use crate::duration::Duration;
use crate::error::Escaped;
use crate::matcher;
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use miniserde::json::{Object, Value};

/// Largest config file read, in bytes.
pub const MAX_CONFIG_BYTES: usize = 1024 * 1024;

const KIND: &str = "CredentialProviderConfig";
const CONFIG_API_VERSIONS: [&str; 3] = [
    "kubelet.config.k8s.io/v1",
    "kubelet.config.k8s.io/v1beta1",
    "kubelet.config.k8s.io/v1alpha1",
];
const PROVIDER_API_VERSIONS: [&str; 3] = [
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
];
const PROVIDER_FIELDS: [&str; 7] = [
    "name",
    "matchImages",
    "defaultCacheDuration",
    "apiVersion",
    "args",
    "env",
    "tokenAttributes",
];
const TOKEN_FIELDS: [&str; 5] = [
    "serviceAccountTokenAudience",
    "cacheType",
    "requireServiceAccount",
    "requiredServiceAccountAnnotationKeys",
    "optionalServiceAccountAnnotationKeys",
];

/// A provider as far as `check` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// `name`.
    pub name: String,
    /// `matchImages`.
    pub match_images: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
}

/// The outcome of checking a config: the providers read, and each finding.
#[derive(Debug, Default)]
pub struct Report {
    /// Providers that could be read.
    pub providers: Vec<Provider>,
    /// One line per problem, each quoting the offending value.
    pub findings: Vec<String>,
}

fn q(s: &str) -> String {
    format!("\"{}\"", Escaped(s))
}

fn string_list(value: Option<&Value>, field: &str, findings: &mut Vec<String>) -> Vec<String> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.clone()),
                _ => {
                    findings.push(format!("{field}: every item must be a string"));
                    None
                }
            })
            .collect(),
        Some(_) => {
            findings.push(format!("{field} must be a list of strings"));
            Vec::new()
        }
    }
}

/// Checks a config's text. `binary_name` is this program's file name, which
/// the provider's `name` must equal.
pub fn check(text: &str, binary_name: &str) -> Report {
    let mut report = Report::default();
    let trimmed = text.trim_start();
    if !trimmed.starts_with('{') {
        report.findings.push(
            "the kubelet config is not JSON (YAML?); convert it first, e.g. yq -o=json config.yaml > config.json"
                .to_owned(),
        );
        return report;
    }
    let Ok(Value::Object(top)) = miniserde::json::from_str::<Value>(text) else {
        report
            .findings
            .push("the kubelet config is not a valid JSON object".to_owned());
        return report;
    };
    let config_version = match top.get("apiVersion") {
        Some(Value::String(v)) if CONFIG_API_VERSIONS.contains(&v.as_str()) => v.clone(),
        Some(Value::String(v)) => {
            report.findings.push(format!(
                "apiVersion {} is not kubelet.config.k8s.io/v1, /v1beta1 or /v1alpha1",
                q(v)
            ));
            String::new()
        }
        _ => {
            report
                .findings
                .push("apiVersion: Required value".to_owned());
            String::new()
        }
    };
    match top.get("kind") {
        Some(Value::String(k)) if k == KIND => {}
        Some(Value::String(k)) => report.findings.push(format!("kind {} is not {KIND}", q(k))),
        _ => report.findings.push("kind: Required value".to_owned()),
    }
    for key in top.keys() {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "providers") {
            report
                .findings
                .push(format!("strict decoding error: unknown field {}", q(key)));
        }
    }
    let providers = match top.get("providers") {
        Some(Value::Array(p)) if !p.is_empty() => p,
        _ => {
            report.findings.push(
                "providers: Required value: at least 1 item in plugins is required".to_owned(),
            );
            return report;
        }
    };
    let mut names: Vec<String> = Vec::new();
    for (i, provider) in providers.iter().enumerate() {
        let Value::Object(p) = provider else {
            report
                .findings
                .push(format!("providers[{i}] must be an object"));
            continue;
        };
        let provider = check_provider(i, p, &config_version, binary_name, &mut report.findings);
        if names.contains(&provider.name) {
            report.findings.push(format!(
                "providers.name: Duplicate value: {}",
                q(&provider.name)
            ));
        }
        names.push(provider.name.clone());
        report.providers.push(provider);
    }
    if !names.iter().any(|n| n == binary_name) {
        report.findings.push(format!(
            "no provider is named {} (this binary's file name), so the kubelet never runs it",
            q(binary_name)
        ));
    }
    report
}

fn check_provider(
    i: usize,
    p: &Object,
    config_version: &str,
    binary_name: &str,
    findings: &mut Vec<String>,
) -> Provider {
    let at = format!("providers[{i}]");
    for key in p.keys() {
        let allowed = PROVIDER_FIELDS.contains(&key.as_str())
            && !(key == "tokenAttributes" && config_version != "kubelet.config.k8s.io/v1");
        if !allowed {
            findings.push(format!(
                "strict decoding error: unknown field \"{at}.{}\"",
                Escaped(key)
            ));
        }
    }
    let name = match p.get("name") {
        Some(Value::String(n)) => n.clone(),
        _ => {
            findings.push(format!("{at}.name: Required value"));
            String::new()
        }
    };
    if name.contains('/') {
        findings.push(format!(
            "providers.name: Invalid value: {}: provider name cannot contain '/'",
            q(&name)
        ));
    }
    if name.contains(' ') {
        findings.push(format!(
            "providers.name: Invalid value: {}: provider name cannot contain spaces",
            q(&name)
        ));
    }
    if name == "." || name == ".." {
        findings.push(format!(
            "providers.name: Invalid value: {}: provider name cannot be '{name}'",
            q(&name)
        ));
    }
    if !name.is_empty() && name != binary_name && name.contains(crate::PROGRAM) {
        findings.push(format!(
            "{at}.name {} is not this binary's file name {}; the kubelet runs <bin-dir>/{}",
            q(&name),
            q(binary_name),
            Escaped(&name)
        ));
    }
    let provider_version = match p.get("apiVersion") {
        Some(Value::String(v)) if PROVIDER_API_VERSIONS.contains(&v.as_str()) => v.clone(),
        Some(Value::String(v)) if !v.is_empty() => {
            findings.push(format!(
                "providers.apiVersion: Unsupported value: {}: supported values: \"credentialprovider.kubelet.k8s.io/v1\", \"credentialprovider.kubelet.k8s.io/v1alpha1\", \"credentialprovider.kubelet.k8s.io/v1beta1\"",
                q(v)
            ));
            v.clone()
        }
        _ => {
            findings.push(format!("{at}.apiVersion: Required value"));
            String::new()
        }
    };
    let match_images = string_list(p.get("matchImages"), &format!("{at}.matchImages"), findings);
    if match_images.is_empty() {
        findings.push(format!(
            "{at}.matchImages: Required value: at least 1 item in matchImages is required"
        ));
    }
    for image in &match_images {
        check_match_image(&at, image, findings);
    }
    match p.get("defaultCacheDuration") {
        Some(Value::String(d)) => {
            let (negative, magnitude) = d
                .strip_prefix('-')
                .map_or((false, d.as_str()), |m| (true, m));
            match Duration::parse(magnitude) {
                Err(e) => findings.push(format!("{at}.defaultCacheDuration: Invalid value: {}: {e}", q(d))),
                Ok(v) if negative && v.as_nanos() > 0 => findings.push(format!(
                    "{at}.defaultCacheDuration: Invalid value: {}: must be greater than or equal to 0",
                    q(d)
                )),
                Ok(_) => {}
            }
        }
        _ => findings.push(format!("{at}.defaultCacheDuration: Required value")),
    }
    let args = string_list(p.get("args"), &format!("{at}.args"), findings);
    if let Some(Value::Object(t)) = p.get("tokenAttributes") {
        check_token_attributes(&at, t, &provider_version, findings);
    } else if let Some(v) = p.get("tokenAttributes") {
        if !matches!(v, Value::Null) {
            findings.push(format!("{at}.tokenAttributes must be an object"));
        }
    }
    Provider {
        name,
        match_images,
        args,
    }
}

fn check_match_image(at: &str, image: &str, findings: &mut Vec<String>) {
    let field = format!("{at}.matchImages");
    if image.starts_with("https://") || image.starts_with("http://") {
        findings.push(format!(
            "{field}: {} has a scheme; the kubelet prepends https:// itself, so it never matches (drop the scheme)",
            q(image)
        ));
        return;
    }
    let url = match matcher::parse_schemeless_url(image) {
        Ok(url) => url,
        Err(e) => {
            let hint = match e {
                matcher::UrlError::InvalidPort if image.contains(":*") => {
                    " (a glob in the port is not allowed; list each port)"
                }
                // `registry[0-9].example.com` matched on older kubelets.
                matcher::UrlError::InvalidIpLiteral => {
                    " (use `*`; kubelets built with Go >= 1.24.8 reject brackets in a host)"
                }
                _ => "",
            };
            findings.push(format!(
                "{field}: Invalid value: {}: match image is invalid ({e:?}){hint}",
                q(image)
            ));
            return;
        }
    };
    if url.path.contains(['*', '?', '[']) {
        findings.push(format!(
            "{field}: {} has a glob in its path; the path is a literal prefix, so it only matches a literal {}",
            q(image),
            q(&url.path)
        ));
    }
}

fn check_token_attributes(
    at: &str,
    t: &Object,
    provider_version: &str,
    findings: &mut Vec<String>,
) {
    let at = format!("{at}.tokenAttributes");
    for key in t.keys() {
        if !TOKEN_FIELDS.contains(&key.as_str()) {
            findings.push(format!(
                "strict decoding error: unknown field \"{at}.{}\"",
                Escaped(key)
            ));
        }
    }
    if provider_version != "credentialprovider.kubelet.k8s.io/v1" {
        findings.push(format!(
            "{at}: Forbidden: tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version (found {})",
            q(provider_version)
        ));
    }
    match t.get("serviceAccountTokenAudience") {
        Some(Value::String(a)) if !a.is_empty() => {}
        _ => findings.push(format!("{at}.serviceAccountTokenAudience: Required value")),
    }
    let require = match t.get("requireServiceAccount") {
        Some(Value::Bool(b)) => Some(*b),
        _ => {
            findings.push(format!("{at}.requireServiceAccount: Required value"));
            None
        }
    };
    match t.get("cacheType") {
        Some(Value::String(c)) if c == "ServiceAccount" || c == "Token" => {}
        Some(Value::String(c)) if !c.is_empty() => findings.push(format!(
            "{at}.cacheType: Unsupported value: {}: supported values: \"ServiceAccount\", \"Token\"",
            q(c)
        )),
        _ => findings.push(format!(
            "{at}.cacheType: Required value: cacheType is required to be set when tokenAttributes is specified. Supported values are: ServiceAccount, Token"
        )),
    }
    let required = string_list(
        t.get("requiredServiceAccountAnnotationKeys"),
        &format!("{at}.requiredServiceAccountAnnotationKeys"),
        findings,
    );
    let optional = string_list(
        t.get("optionalServiceAccountAnnotationKeys"),
        &format!("{at}.optionalServiceAccountAnnotationKeys"),
        findings,
    );
    if require == Some(false) && !required.is_empty() {
        findings.push(format!(
            "{at}.requireServiceAccount: Forbidden: requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set"
        ));
    }
    for (field, keys) in [
        ("requiredServiceAccountAnnotationKeys", &required),
        ("optionalServiceAccountAnnotationKeys", &optional),
    ] {
        for (i, key) in keys.iter().enumerate() {
            if keys.get(..i).is_some_and(|before| before.contains(key)) {
                findings.push(format!("{at}.{field}: Duplicate value: {}", q(key)));
            }
            if !is_qualified_name(&key.to_ascii_lowercase()) {
                findings.push(format!(
                    "{at}.{field}: Invalid value: {}: not a qualified name ([prefix/]name, name at most 63 characters)",
                    q(key)
                ));
            }
        }
    }
    for key in required.iter().filter(|k| optional.contains(k)) {
        findings.push(format!(
            "{at}: Invalid value: {}: annotation key cannot be both required and optional",
            q(key)
        ));
    }
}

/// Kubernetes `IsQualifiedName`: an optional DNS-subdomain prefix and `/`,
/// then a name of at most 63 characters of `[A-Za-z0-9._-]`, alphanumeric at
/// both ends.
fn is_qualified_name(s: &str) -> bool {
    const MAX_NAME: usize = 63;
    const MAX_PREFIX: usize = 253;
    let (prefix, name) = match s.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let name_ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && name
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= MAX_PREFIX
            && p.split('.').all(|label| {
                !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            })
    });
    name_ok && prefix_ok
}

/// Whether `match_image` routes `image` (a `domain/path` name) to the plugin:
/// the kubelet's `isImageAllowed`.
pub fn routes(match_image: &str, image: &str) -> bool {
    matcher::urls_match_str(match_image, image)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{"name":"generic-credential-provider","matchImages":["registry.example.org","*.example.com:5000"],"defaultCacheDuration":"5m","apiVersion":"credentialprovider.kubelet.k8s.io/v1","args":["--credroot","/etc/kubernetes/registries"]}]}"#;

    #[test]
    fn a_good_config_has_no_findings() {
        let r = check(GOOD, "generic-credential-provider");
        assert_eq!(r.findings, Vec::<String>::new());
        assert_eq!(r.providers.len(), 1);
        let with_token = GOOD.replace(
            "\"args\"",
            "\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"a\",\"requireServiceAccount\":true,\"cacheType\":\"ServiceAccount\",\"requiredServiceAccountAnnotationKeys\":[\"example.com/identity\"],\"optionalServiceAccountAnnotationKeys\":[\"example.com/role\"]},\"args\"",
        );
        assert_eq!(
            check(&with_token, "generic-credential-provider").findings,
            Vec::<String>::new()
        );
    }

    #[test]
    fn each_mistake_is_reported_with_its_value() {
        let cases = [
            (GOOD.replace("\"registry.example.org\"", "\"https://registry.example.org\""), "\"https://registry.example.org\" has a scheme"),
            (GOOD.replace("\"registry.example.org\"", "\"registry.example.org/*\""), "\"registry.example.org/*\" has a glob in its path"),
            (GOOD.replace("\"*.example.com:5000\"", "\"*.example.com:*\""), "a glob in the port"),
            (GOOD.replace("\"5m\"", "\"-1m\""), "\"-1m\": must be greater than or equal to 0"),
            (GOOD.replace("\"defaultCacheDuration\":\"5m\",", ""), "defaultCacheDuration: Required value"),
            (GOOD.replace("credentialprovider.kubelet.k8s.io/v1\"", "credentialprovider.kubelet.k8s.io/v1alpha0\""), "Unsupported value: \"credentialprovider.kubelet.k8s.io/v1alpha0\""),
            (GOOD.replace("\"name\":\"generic-credential-provider\"", "\"name\":\"foo/../bar\""), "\"foo/../bar\": provider name cannot contain '/'"),
            (GOOD.replace("\"name\":\"generic-credential-provider\"", "\"name\":\"generic-credential-provider.exe\""), "is not this binary's file name"),
            (GOOD.replace("\"matchImages\":[\"registry.example.org\",\"*.example.com:5000\"]", "\"matchImages\":[]"), "at least 1 item in matchImages"),
            (r#"{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[]}"#.to_owned(), "at least 1 item in plugins"),
            (GOOD.replace("\"args\"", "\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"a\",\"requireServiceAccount\":true,\"cacheType\":\"Bogus\"},\"args\""), "Unsupported value: \"Bogus\""),
            (GOOD.replace("kubelet.config.k8s.io/v1\"", "kubelet.config.k8s.io/v1beta1\"").replace("\"args\"", "\"tokenAttributes\":{},\"args\""), "unknown field \"providers[0].tokenAttributes\""),
            (GOOD.replace("\"args\"", "\"bogus\":1,\"args\""), "unknown field \"providers[0].bogus\""),
            ("apiVersion: kubelet.config.k8s.io/v1\n".to_owned(), "not JSON (YAML?)"),
            (GOOD.replace("\"args\"", "\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"a\",\"requireServiceAccount\":true,\"cacheType\":\"Token\",\"requiredServiceAccountAnnotationKeys\":[\"example.com/id\",\"bad key!\"],\"optionalServiceAccountAnnotationKeys\":[\"example.com/id\"]},\"args\""), "\"bad key!\": not a qualified name"),
            (GOOD.replace("\"args\"", "\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"a\",\"requireServiceAccount\":true,\"cacheType\":\"Token\",\"requiredServiceAccountAnnotationKeys\":[\"example.com/id\"],\"optionalServiceAccountAnnotationKeys\":[\"example.com/id\"]},\"args\""), "\"example.com/id\": annotation key cannot be both required and optional"),
            (GOOD.replace("\"args\"", "\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"a\",\"requireServiceAccount\":false,\"cacheType\":\"Token\",\"requiredServiceAccountAnnotationKeys\":[\"example.com/id\"]},\"args\""), "requireServiceAccount cannot be false"),
        ];
        for (config, needle) in cases {
            let r = check(&config, "generic-credential-provider");
            assert!(
                r.findings.iter().any(|f| f.contains(needle)),
                "{needle}: {:?}",
                r.findings
            );
        }
        let r = check(&GOOD.replace("\"credentialprovider.kubelet.k8s.io/v1\",\"args\"", "\"credentialprovider.kubelet.k8s.io/v1beta1\",\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"a\",\"requireServiceAccount\":true,\"cacheType\":\"Token\"},\"args\""), "generic-credential-provider");
        assert!(
            r.findings
                .iter()
                .any(|f| f.contains("only supported for credentialprovider.kubelet.k8s.io/v1")),
            "{:?}",
            r.findings
        );
    }
}

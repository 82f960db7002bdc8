//! The kubelet's `CredentialProviderConfig`, checked with the kubelet's own
//! validation rules (`pkg/credentialprovider/plugin/config.go`) plus the
//! mistakes users make that the kubelet accepts silently: a scheme or a path
//! glob in `matchImages`, a provider `name` that is not this binary's file
//! name. One file's text is read as the kubelet decodes it (JSON or YAML, by
//! its first character), into the one value tree every rule walks. Every
//! finding quotes the offending value, escaped, except under `env`, whose
//! values may be secrets.

use crate::duration::Duration;
use crate::error::Escaped;
use crate::matcher;
use crate::yaml::{self, Note, NoteKind, YamlError, YamlErrorKind};
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use miniserde::json::{Object, Value};

/// Largest config file read, in bytes.
pub(crate) const MAX_CONFIG_BYTES: usize = 1024 * 1024;

const KIND: &str = "CredentialProviderConfig";
const CONFIG_V1: &str = "kubelet.config.k8s.io/v1";
const CONFIG_API_VERSIONS: [&str; 3] = [
    CONFIG_V1,
    "kubelet.config.k8s.io/v1beta1",
    "kubelet.config.k8s.io/v1alpha1",
];
/// The provider versions are the request's (one list in the crate).
const PROVIDER_V1: &str = crate::request::ApiVersion::V1.as_str();
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
const ENV_FIELDS: [&str; 2] = ["name", "value"];

/// A provider's `tokenAttributes`, as far as `check` needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TokenAttributes {
    /// `serviceAccountTokenAudience`.
    pub(crate) audience: Option<String>,
    /// `requireServiceAccount`.
    pub(crate) require_service_account: Option<bool>,
}

/// A provider as far as `check` needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Provider {
    /// Its position in the file's `providers`.
    pub(crate) index: usize,
    /// `name`.
    pub(crate) name: String,
    /// `matchImages`.
    pub(crate) match_images: Vec<String>,
    /// `args`; `None` if it is not a list of strings (a finding).
    pub(crate) args: Option<Vec<String>>,
    /// Whether `env` sets anything.
    pub(crate) has_env: bool,
    /// `defaultCacheDuration`, as written and read, when it is valid.
    pub(crate) default_cache_duration: Option<(String, Duration)>,
    /// `tokenAttributes`.
    pub(crate) token: Option<TokenAttributes>,
}

/// The outcome of checking one config file: the providers read, each
/// problem, and each YAML trap worth a note.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Providers that could be read.
    pub(crate) providers: Vec<Provider>,
    /// One line per problem, each quoting the offending value.
    pub(crate) findings: Vec<String>,
    /// One line per plain YAML scalar the kubelet reads otherwise than it
    /// looks, where that matters.
    pub(crate) notes: Vec<String>,
}

fn q(s: &str) -> String {
    format!("\"{}\"", Escaped(s))
}

/// Whether `key` is absent or null (Go leaves the field unset for both).
fn unset(o: &Object, key: &str) -> bool {
    matches!(o.get(key), None | Some(Value::Null))
}

/// The string at `key`; `None` if it is unset, or of another type, which is
/// a finding (the kubelet's decoder refuses it). The value is never quoted:
/// this is also how `env` is read.
fn string<'a>(o: &'a Object, key: &str, at: &str, findings: &mut Vec<String>) -> Option<&'a str> {
    match o.get(key) {
        Some(Value::String(s)) => Some(s),
        None | Some(Value::Null) => None,
        Some(_) => {
            let dot = if at.is_empty() { "" } else { "." };
            findings.push(format!("{at}{dot}{key} must be a string"));
            None
        }
    }
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

/// Checks one config file's text. `binary_name` is this program's file
/// name, which the provider's `name` must equal.
pub(crate) fn check(text: &str, binary_name: &str) -> Report {
    let mut report = Report::default();
    match read(text, &mut report.notes) {
        Ok(Value::Object(top)) => check_top(&top, binary_name, &mut report),
        Ok(_) => report.findings.push(
            "the config must be one object (a mapping) of apiVersion, kind and providers"
                .to_owned(),
        ),
        Err(why) => report.findings.push(why),
    }
    report
}

/// Decodes a config as the kubelet's universal decoder does: a text whose
/// first non-space character is `{` goes to the JSON decoder, anything else
/// to the YAML one (apimachinery `yaml.IsJSONBuffer`), whatever the file is
/// called. The YAML reader would read most JSON texts too, but not as Go's
/// JSON decoder does (a trailing comma, `\/`), so each gets its own reader.
fn read(text: &str, notes: &mut Vec<String>) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        let value = miniserde::json::from_str::<Value>(text).map_err(|_| {
            "not valid JSON (it starts with '{', so the kubelet decodes it as JSON)".to_owned()
        })?;
        // The kubelet's strict JSON decoding refuses a key given twice, where
        // miniserde keeps the last; the YAML reader finds it, with its line.
        if let Err(
            e @ YamlError {
                kind: YamlErrorKind::DuplicateKey(_),
                ..
            },
        ) = yaml::parse(text)
        {
            return Err(e.to_string());
        }
        return Ok(value);
    }
    let (value, found) = yaml::parse_with_notes(text).map_err(|e| e.to_string())?;
    notes.extend(
        found
            .iter()
            .filter(|n| worth_noting(n))
            .map(ToString::to_string),
    );
    Ok(value)
}

/// Whether a YAML note tells the author something: not under `env` (a value
/// there may be a secret; its type finding names none), and not a YAML 1.1
/// boolean where the kubelet wants a boolean (`requireServiceAccount: yes`
/// means what it says).
fn worth_noting(note: &Note) -> bool {
    let under_env = note
        .path
        .split('.')
        .any(|step| step == "env" || step.starts_with("env["));
    let boolean_field = note.path.ends_with(".requireServiceAccount")
        && matches!(note.kind, NoteKind::Boolean { .. });
    !under_env && !boolean_field
}

fn check_top(top: &Object, binary_name: &str, report: &mut Report) {
    let findings = &mut report.findings;
    let config_version = match string(top, "apiVersion", "", findings) {
        Some(v) if CONFIG_API_VERSIONS.contains(&v) => v,
        Some(v) => {
            findings.push(format!(
                "apiVersion {} is not kubelet.config.k8s.io/v1, /v1beta1 or /v1alpha1",
                q(v)
            ));
            ""
        }
        None => {
            findings.push("apiVersion: Required value".to_owned());
            ""
        }
    };
    match string(top, "kind", "", findings) {
        Some(KIND) => {}
        Some(k) => findings.push(format!("kind {} is not {KIND}", q(k))),
        None => findings.push("kind: Required value".to_owned()),
    }
    for key in top.keys() {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "providers") {
            findings.push(format!("strict decoding error: unknown field {}", q(key)));
        }
    }
    let providers = match top.get("providers") {
        Some(Value::Array(p)) if !p.is_empty() => p,
        _ => {
            findings.push(
                "providers: Required value: at least 1 item in plugins is required".to_owned(),
            );
            return;
        }
    };
    for (i, provider) in providers.iter().enumerate() {
        let Value::Object(p) = provider else {
            report
                .findings
                .push(format!("providers[{i}] must be an object"));
            continue;
        };
        let provider = check_provider(i, p, config_version, binary_name, &mut report.findings);
        report.providers.push(provider);
    }
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
            && !(key == "tokenAttributes" && config_version != CONFIG_V1);
        if !allowed {
            findings.push(format!(
                "strict decoding error: unknown field \"{at}.{}\"",
                Escaped(key)
            ));
        }
    }
    let name = string(p, "name", &at, findings)
        .unwrap_or_default()
        .to_owned();
    if unset(p, "name") {
        findings.push(format!("{at}.name: Required value"));
    }
    for (bad, why) in [
        (name.contains('/'), "cannot contain '/'"),
        (name.contains(' '), "cannot contain spaces"),
        (name == ".", "cannot be '.'"),
        (name == "..", "cannot be '..'"),
    ] {
        if bad {
            findings.push(format!(
                "providers.name: Invalid value: {}: provider name {why}",
                q(&name)
            ));
        }
    }
    if !name.is_empty() && name != binary_name && name.contains(crate::PROGRAM) {
        findings.push(format!(
            "{at}.name {} is not this binary's file name {}; the kubelet runs <bin-dir>/{}",
            q(&name),
            q(binary_name),
            Escaped(&name)
        ));
    }
    let provider_version = match string(p, "apiVersion", &at, findings) {
        Some(v) if crate::request::ApiVersion::parse(v).is_some() => v,
        Some(v) if !v.is_empty() => {
            findings.push(format!(
                "providers.apiVersion: Unsupported value: {}: supported values: \"credentialprovider.kubelet.k8s.io/v1\", \"credentialprovider.kubelet.k8s.io/v1alpha1\", \"credentialprovider.kubelet.k8s.io/v1beta1\"",
                q(v)
            ));
            v
        }
        _ => {
            findings.push(format!("{at}.apiVersion: Required value"));
            ""
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
    let default_cache_duration = match string(p, "defaultCacheDuration", &at, findings) {
        Some(d) => {
            let (negative, magnitude) = d.strip_prefix('-').map_or((false, d), |m| (true, m));
            match Duration::parse(magnitude) {
                Err(e) => {
                    findings.push(format!(
                        "{at}.defaultCacheDuration: Invalid value: {}: {e}",
                        q(d)
                    ));
                    None
                }
                Ok(v) if negative && v.as_nanos() > 0 => {
                    findings.push(format!(
                        "{at}.defaultCacheDuration: Invalid value: {}: must be greater than or equal to 0",
                        q(d)
                    ));
                    None
                }
                Ok(v) => Some((d.to_owned(), v)),
            }
        }
        None => {
            if unset(p, "defaultCacheDuration") {
                findings.push(format!("{at}.defaultCacheDuration: Required value"));
            }
            None
        }
    };
    let before = findings.len();
    let args = string_list(p.get("args"), &format!("{at}.args"), findings);
    let args = (findings.len() == before).then_some(args);
    let has_env = check_env(&at, p.get("env"), findings);
    let token = match p.get("tokenAttributes") {
        Some(Value::Object(t)) => Some(check_token_attributes(&at, t, provider_version, findings)),
        None | Some(Value::Null) => None,
        Some(_) => {
            findings.push(format!("{at}.tokenAttributes must be an object"));
            None
        }
    };
    Provider {
        index: i,
        name,
        match_images,
        args,
        has_env,
        default_cache_duration,
        token,
    }
}

/// `env`: a list of `{name, value}`; whether it sets anything. No value is
/// ever quoted.
fn check_env(at: &str, env: Option<&Value>, findings: &mut Vec<String>) -> bool {
    let items = match env {
        None | Some(Value::Null) => return false,
        Some(Value::Array(items)) => items,
        Some(_) => {
            findings.push(format!("{at}.env must be a list of name and value"));
            return false;
        }
    };
    for (j, item) in items.iter().enumerate() {
        let at = format!("{at}.env[{j}]");
        let Value::Object(e) = item else {
            findings.push(format!("{at} must be an object of name and value"));
            continue;
        };
        for key in e.keys().filter(|k| !ENV_FIELDS.contains(&k.as_str())) {
            findings.push(format!(
                "strict decoding error: unknown field \"{at}.{}\"",
                Escaped(key)
            ));
        }
        for key in ENV_FIELDS {
            string(e, key, &at, findings);
        }
    }
    !items.is_empty()
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
) -> TokenAttributes {
    let at = format!("{at}.tokenAttributes");
    for key in t.keys() {
        if !TOKEN_FIELDS.contains(&key.as_str()) {
            findings.push(format!(
                "strict decoding error: unknown field \"{at}.{}\"",
                Escaped(key)
            ));
        }
    }
    if provider_version != PROVIDER_V1 {
        findings.push(format!(
            "{at}: Forbidden: tokenAttributes is only supported for credentialprovider.kubelet.k8s.io/v1 API version (found {})",
            q(provider_version)
        ));
    }
    let audience = string(t, "serviceAccountTokenAudience", &at, findings)
        .filter(|a| !a.is_empty())
        .map(ToOwned::to_owned);
    if audience.is_none() {
        findings.push(format!("{at}.serviceAccountTokenAudience: Required value"));
    }
    let require = match t.get("requireServiceAccount") {
        Some(Value::Bool(b)) => Some(*b),
        None | Some(Value::Null) => {
            findings.push(format!("{at}.requireServiceAccount: Required value"));
            None
        }
        Some(_) => {
            findings.push(format!("{at}.requireServiceAccount must be true or false"));
            None
        }
    };
    match string(t, "cacheType", &at, findings) {
        Some("ServiceAccount" | "Token") => {}
        Some(c) if !c.is_empty() => findings.push(format!(
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
    TokenAttributes {
        audience,
        require_service_account: require,
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

    const GOOD_YAML: &str = "\
# The same config as GOOD, as most people write it.
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: generic-credential-provider
    matchImages:
      - registry.example.org
      - \"*.example.com:5000\"
    defaultCacheDuration: 5m
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    args: [--credroot, /etc/kubernetes/registries]
";

    #[test]
    fn reads_yaml_into_the_tree_json_gives() {
        let (json, yaml) = (check(GOOD, "x"), check(GOOD_YAML, "x"));
        assert_eq!(yaml.findings, json.findings);
        assert_eq!(yaml.providers, json.providers);
        assert_eq!(yaml.notes, Vec::<String>::new());
        // The kubelet goes by the first character, not by the file's name.
        let indented = format!("\n  \t{GOOD}");
        assert_eq!(check(&indented, "x").providers, json.providers);
    }

    #[test]
    fn notes_yaml_traps_but_never_a_value_under_env() {
        let trap = GOOD_YAML.replace(
            "args: [--credroot, /etc/kubernetes/registries]",
            "args: [--credroot, on]\n    env:\n      - name: TOKEN\n        value: 0755\n    tokenAttributes:\n      serviceAccountTokenAudience: a\n      cacheType: ServiceAccount\n      requireServiceAccount: yes",
        );
        let r = check(&trap, "x");
        assert_eq!(
            r.notes,
            ["line 11: plain \"on\" is read as the boolean true; quote it if you meant a string"]
        );
        assert!(
            r.findings
                .contains(&"providers[0].args: every item must be a string".to_owned())
        );
        assert!(
            r.findings
                .contains(&"providers[0].env[0].value must be a string".to_owned())
        );
        assert!(!format!("{r:?}").contains("0755"), "{r:?}");
        assert!(r.providers[0].has_env);
        let token = r.providers[0].token.as_ref().unwrap();
        assert_eq!(
            (token.audience.as_deref(), token.require_service_account),
            (Some("a"), Some(true))
        );
    }

    #[test]
    fn env_entries_are_checked_without_their_values() {
        let with = |env: &str| {
            check(
                &GOOD.replace("\"args\"", &format!("\"env\":{env},\"args\"")),
                "generic-credential-provider",
            )
        };
        assert_eq!(
            with(r#"[{"name":"A","value":"s3cr3t"}]"#).findings,
            Vec::<String>::new()
        );
        assert!(with(r#"[{"name":"A","value":"s3cr3t"}]"#).providers[0].has_env);
        assert!(!with("[]").providers[0].has_env);
        let r = with(r#"[{"name":"A","valu":"s3cr3t"},"x",{"value":true}]"#);
        assert_eq!(
            r.findings,
            [
                "strict decoding error: unknown field \"providers[0].env[0].valu\"",
                "providers[0].env[1] must be an object of name and value",
                "providers[0].env[2].value must be a string",
            ]
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
            ("apiVersion: kubelet.config.k8s.io/v1\n".to_owned(), "providers: Required value"),
            ("{\"apiVersion\":\"kubelet.config.k8s.io/v1\",}".to_owned(), "not valid JSON (it starts with '{'"),
            (GOOD.replace("\"kind\"", "\"apiVersion\":\"x\",\"kind\""), "line 1, column 42: duplicate key \"apiVersion\""),
            (GOOD.replace("\"5m\"", "0"), "providers[0].defaultCacheDuration must be a string"),
            (GOOD.replace("\"name\":\"generic-credential-provider\"", "\"name\":7"), "providers[0].name must be a string"),
            (GOOD.replace("\"args\"", "\"tokenAttributes\":{\"serviceAccountTokenAudience\":\"a\",\"requireServiceAccount\":\"yes\",\"cacheType\":\"Token\"},\"args\""), "requireServiceAccount must be true or false"),
            ("- a\n".to_owned(), "the config must be one object"),
            ("a: &x 1\n".to_owned(), "line 1, column 4: anchors (&name) are not supported"),
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

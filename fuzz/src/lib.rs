//! One function per fuzz target: each feeds arbitrary bytes to a reader of
//! untrusted text from the rules crate, the very code the server runs, and
//! checks what must hold of any answer (not only that nothing panics).
//!
//! `fuzz_targets/*.rs` hand them to libFuzzer (`./dev fuzz`); `tests/replay.rs`
//! runs every input under `corpus/<target>/` and `regressions/<target>/`
//! through them on stable Rust (`./dev test`).

use chrono::{DateTime, Duration, Utc};
use std::net::IpAddr;
use tokenwarden::{
    app_passwords, credentials,
    credentials::Credentials,
    expiry::{self, ExpiryRequest},
    forwarded::TrustedProxies,
    permissions::{PermissionSet, TokenKind},
    policy::{EffectivePolicy, SystemPolicy, WorkspacePolicy},
    requests::{NewTokenBody, RotateTokenBody, UpdateTokenBody},
    scm, token, validate,
};

/// A fuzz target: any bytes in, a panic if something that must hold does not.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("token", token),
    ("authorization", authorization),
    ("forwarded_for", forwarded_for),
    ("git_path", git_path),
    ("expiry_form", expiry_form),
    ("token_body", token_body),
    ("permissions", permissions),
    ("names", names),
    ("policy", policy),
    ("webhook", webhook),
];

/// The input's lines, as text (invalid UTF-8 replaced, as a form decoder
/// that accepted it would).
fn lines(data: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(data).split('\n').map(str::to_string).collect()
}

fn line(lines: &[String], n: usize) -> &str {
    lines.get(n).map(String::as_str).unwrap_or("")
}

/// A presented token: accepted only in the exact format, with its kind's prefix.
pub fn token(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(kind) = token::check(text) {
        assert_eq!(text.len(), token::TOKEN_LEN);
        assert!(text.starts_with(token::prefix(kind)));
        assert!(text[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}

/// An `Authorization` header: what parses re-encodes to itself (Basic), and
/// its secret is never empty.
pub fn authorization(data: &[u8]) {
    match credentials::parse(data) {
        Ok(Credentials::Basic { user, secret }) => {
            assert!(!secret.is_empty());
            let again = credentials::parse(credentials::basic_header(&user, secret.expose()).as_bytes());
            assert_eq!(
                again,
                Ok(Credentials::Basic {
                    user: user.clone(),
                    secret: secret.clone()
                })
            );
            // The secret goes on to the token checker (or the app passwords).
            let _ = token::check(secret.expose());
            // Printed, it shows the user and nothing of the secret.
            let printed = format!(
                "{:?}",
                Credentials::Basic {
                    user: user.clone(),
                    secret
                }
            );
            assert_eq!(printed, format!("Basic({user:?}, …)"));
        }
        Ok(Credentials::Bearer(secret)) => {
            assert!(!secret.is_empty() && !secret.expose().contains(' '));
            // A bearer secret goes on to the token checker.
            let _ = token::check(secret.expose());
        }
        Err(credentials::Malformed) => {}
    }
}

/// `X-Forwarded-For` behind trusted proxies: line 1 is the trusted list,
/// line 2 the peer, the rest header values. The client is the peer or an
/// address that appears in a header, never something made up.
pub fn forwarded_for(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let list = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let peer = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let headers: Vec<&[u8]> = parts
        .next()
        .map(|h| h.split(|b| *b == b'\n').collect())
        .unwrap_or_default();
    let Ok(trusted) = TrustedProxies::parse(&list) else {
        return;
    };
    let peer: IpAddr = peer.trim().parse().unwrap_or(IpAddr::from([10, 0, 0, 1]));
    let client = trusted.client(peer, &headers);
    if client != tokenwarden::forwarded::canonical(peer) {
        assert!(trusted.trusts(peer), "only a trusted peer's header is read");
        let reported = headers
            .iter()
            .flat_map(|h| h.split(|b| *b == b','))
            .filter_map(tokenwarden::forwarded::entry_address)
            .any(|ip| ip == client);
        assert!(reported, "{client} is not one of the header's entries");
    }
}

/// A Git path after `/scm/<workspace>/`: accepted only with a valid slug
/// and a path Git serves, never one that leaves the repository.
pub fn git_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(path) = scm::parse(text) {
        assert!(validate::repository_slug(&path.repository).is_ok());
        assert!(scm::is_service_path(&path.path));
        assert!(!path.path.contains("..") && !path.path.contains("//") && !path.path.contains('\\'));
    }
    let _ = scm::is_push(text, text);
}

/// A fixed "now" from the input, 2001 to 2099, so failures reproduce.
fn now_from(seed: &[u8]) -> DateTime<Utc> {
    let n = seed
        .iter()
        .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(*b)));
    DateTime::from_timestamp(978_307_200 + (n % 3_124_137_600) as i64, 0).expect("in range")
}

/// A policy from the input's first bytes: every combination a workspace or
/// system admin can set.
fn policy_from(seed: &[u8]) -> EffectivePolicy {
    let byte = |i: usize| seed.get(i).copied().unwrap_or(0);
    let system = SystemPolicy::new(
        byte(0) & 1 == 1,
        1 + (u32::from(byte(1)) * 256 + u32::from(byte(2))) % 3650,
    )
    .expect("in range");
    if byte(3) & 1 == 1 {
        return EffectivePolicy::for_personal(system);
    }
    let days = tokenwarden::policy::WORKSPACE_MAX_DAYS_OPTIONS[usize::from(byte(4)) % 3];
    EffectivePolicy::for_workspace(system, WorkspacePolicy::new(days, byte(5) & 1 == 1).expect("an option"))
}

/// Resolves `request`; what is accepted is in the future and within the policy.
fn check_resolved(policy: &EffectivePolicy, now: DateTime<Utc>, request: ExpiryRequest) {
    match expiry::resolve(policy, now, request) {
        Ok(Some(at)) => {
            assert!(at > now);
            assert!(at - now <= Duration::days(i64::from(policy.max_days)));
        }
        Ok(None) => assert!(policy.allows_no_expiry()),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// The create form's expiry fields (lines 1–3), resolved against a policy
/// and an instant taken from line 4.
pub fn expiry_form(data: &[u8]) {
    let lines = lines(data);
    let seed = line(&lines, 3).as_bytes();
    let (policy, now) = (policy_from(seed), now_from(seed));
    match ExpiryRequest::from_form(line(&lines, 0), line(&lines, 1), line(&lines, 2)) {
        Ok(request) => check_resolved(&policy, now, request),
        Err(e) => assert_eq!(e.field, "expiry"),
    }
    let choices = expiry::choices(&policy, now, (now.timestamp() % 1561) as i32 - 720);
    for option in &choices.options {
        assert_eq!(expiry::ExpiryChoice::parse(&option.choice.value()), Some(option.choice));
    }
}

/// A REST token body, read as the server reads it, then checked as the
/// server checks it: name, permissions for each kind, expiry.
pub fn token_body(data: &[u8]) {
    if let Ok(body) = serde_json::from_slice::<NewTokenBody>(data) {
        if let Ok(name) = validate::display_name("name", &body.name) {
            assert!(!name.is_empty() && name.chars().count() <= 100);
        }
        for kind in TokenKind::ALL {
            let _ = PermissionSet::parse(kind, &body.permissions);
        }
        check_resolved(&policy_from(data), now_from(data), body.expiry());
    }
    if let Ok(body) = serde_json::from_slice::<UpdateTokenBody>(data) {
        if let Some(names) = body.permissions {
            let _ = PermissionSet::parse(TokenKind::Personal, &names);
        }
    }
    if let Ok(body) = serde_json::from_slice::<RotateTokenBody>(data) {
        check_resolved(&policy_from(data), now_from(data), body.expiry());
        // A named overlap reads back as itself.
        if let Ok(Some(overlap)) = body.overlap() {
            assert_eq!(Some(overlap.value()), body.overlap.as_deref().map(str::trim));
        }
    }
}

/// Permission names as forms and REST send them (whitespace or commas
/// apart), for each kind of token, and app password scopes.
pub fn permissions(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let names: Vec<&str> = text.split([' ', ',', '\n']).collect();
    for kind in TokenKind::ALL {
        if let Ok(set) = PermissionSet::parse(kind, &names) {
            // What is stored reads back as the same set.
            assert_eq!(PermissionSet::parse(kind, &set.names()), Ok(set.clone()));
        }
    }
    if let Ok(scopes) = app_passwords::parse_scopes(&names) {
        let ids: Vec<&str> = scopes.iter().map(|s| s.id()).collect();
        assert_eq!(app_passwords::parse_scopes(&ids), Ok(scopes.clone()));
        // Their nearest API token is a valid personal token, when anything maps.
        let names = app_passwords::nearest_token_permission_names(&scopes);
        if !names.is_empty() {
            assert!(PermissionSet::parse(TokenKind::Personal, &names).is_ok());
        }
    }
}

/// Usernames, emails, display names, slugs and keys: whatever is accepted
/// is accepted again unchanged (browser and server store the same value).
pub fn names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    type Validator = fn(&str) -> Result<String, validate::ValidationError>;
    let validators: [Validator; 6] = [
        validate::username,
        validate::email,
        validate::workspace_slug,
        validate::repository_slug,
        validate::project_key,
        |s| validate::display_name("name", s),
    ];
    for check in validators {
        if let Ok(value) = check(&text) {
            assert_eq!(check(&value).as_ref(), Ok(&value));
            assert!(!value.chars().any(char::is_control));
        }
    }
    let _ = validate::new_password(&text, "alice");
}

/// The policy forms: workspace (line 1 days, line 2 checkbox, line 3
/// default), system (line 4 checkbox, line 5 days, line 6 default) and a
/// warning ladder (line 7). What is accepted is within the bounds, and its
/// default a preset within them.
pub fn policy(data: &[u8]) {
    let lines = lines(data);
    let optional = |n: usize| (lines.len() > n).then(|| line(&lines, n));
    if let Ok(ws) = WorkspacePolicy::from_form(line(&lines, 0), optional(1), optional(2)) {
        assert!(tokenwarden::policy::WORKSPACE_MAX_DAYS_OPTIONS.contains(&ws.max_days()));
        assert!(tokenwarden::policy::PRESET_DAYS.contains(&ws.default_days()));
        assert!(ws.default_days() <= ws.max_days());
    }
    // The warning ladder as an admin types it (line 7).
    if let Ok(ladder) = tokenwarden::warnings::Ladder::parse(line(&lines, 6)) {
        let days = ladder.days();
        assert!(days.len() <= 10);
        assert!(days.windows(2).all(|w| w[0] > w[1]), "furthest first, no repeats");
        assert!(days
            .iter()
            .all(|d| (1..=tokenwarden::warnings::MAX_LADDER_DAYS).contains(d)));
    }
    if let Ok(system) = SystemPolicy::from_form(optional(3), line(&lines, 4), optional(5)) {
        assert!(tokenwarden::policy::SYSTEM_MAX_DAYS_RANGE.contains(&system.max_days()));
        assert!(tokenwarden::policy::PRESET_DAYS.contains(&system.default_days()));
        let p = EffectivePolicy::for_personal(system);
        let now = now_from(data);
        let c = expiry::choices(&p, now, 0);
        if let Some(default) = c.default_choice() {
            assert!(c.is_allowed(default));
        }
    }
}

/// The webhook form: a URL (line 1, read with private addresses refused,
/// then allowed), a secret (line 2) and event names (line 3, comma-
/// separated). What is accepted names a port, a public address unless
/// allowed, https unless allowed, and known events.
pub fn webhook(data: &[u8]) {
    use tokenwarden::webhooks::{check_secret, is_public, parse_events, parse_url, Event};
    let lines = lines(data);
    for allow in [false, true] {
        if let Ok(target) = parse_url(line(&lines, 0), allow) {
            assert!(target.port != 0);
            assert!(target.https || allow, "http only where private addresses are allowed");
            assert!(!target.host.is_empty());
            if let Some(ip) = target.ip {
                assert!(allow || is_public(ip), "{ip} is not public");
            } else {
                assert!(target
                    .host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
            }
        }
    }
    if check_secret(line(&lines, 1)).is_ok() {
        assert!((16..=200).contains(&line(&lines, 1).chars().count()));
    }
    if let Ok(events) = parse_events(line(&lines, 2).split(',')) {
        assert!(!events.is_empty() && events.len() <= Event::ALL.len());
        assert!(events.windows(2).all(|w| w[0] < w[1]), "sorted, no repeats");
    }
}

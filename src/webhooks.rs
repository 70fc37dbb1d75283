//! Webhooks: the events they can carry, which addresses they may be sent
//! to, and when a failed delivery is tried again.
//!
//! Kept here (no I/O) so the registration form, the server's check at
//! registration and its check again before every delivery read an address
//! the same way. The server resolves names; [`is_public`] judges each
//! address the name resolves to, so a name pointing at loopback or a
//! private range is refused like the address itself.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use thiserror::Error;

/// What a webhook can be told about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Event {
    /// A warning threshold before expiry has passed.
    TokenExpiring,
    /// A token has expired.
    TokenExpired,
    TokenCreated,
    TokenRevoked,
    /// A workspace's or the system's expiry policy (or warning days) changed.
    PolicyChanged,
    /// A token was replaced by a successor (the body names the successor).
    TokenRotated,
    /// A rotated-away token was presented after its overlap.
    ReuseDetected,
    /// A tightened policy moved existing tokens' expiry.
    PolicyApplied,
}

impl Event {
    pub const ALL: [Event; 8] = [
        Event::TokenExpiring,
        Event::TokenExpired,
        Event::TokenCreated,
        Event::TokenRevoked,
        Event::PolicyChanged,
        Event::TokenRotated,
        Event::ReuseDetected,
        Event::PolicyApplied,
    ];

    /// The name on the wire (`Tokenwarden-Event`, the body's `event`).
    pub fn as_str(self) -> &'static str {
        match self {
            Event::TokenExpiring => "token.expiring",
            Event::TokenExpired => "token.expired",
            Event::TokenCreated => "token.created",
            Event::TokenRevoked => "token.revoked",
            Event::PolicyChanged => "policy.changed",
            Event::TokenRotated => "token.rotated",
            Event::ReuseDetected => "token.reuse_detected",
            Event::PolicyApplied => "policy.applied",
        }
    }

    pub fn parse(name: &str) -> Option<Event> {
        Event::ALL.into_iter().find(|e| e.as_str() == name)
    }

    /// What the registration form says beside the event's box.
    pub fn meaning(self) -> &'static str {
        match self {
            Event::TokenExpiring => "a token passed a warning threshold before its expiry",
            Event::TokenExpired => "a token expired",
            Event::TokenCreated => "a token was created",
            Event::TokenRevoked => "a token was revoked",
            Event::PolicyChanged => "an expiry policy or its warning days changed",
            Event::TokenRotated => "a token was rotated (replaced by a successor)",
            Event::ReuseDetected => "a rotated-away token was used after its overlap",
            Event::PolicyApplied => "a tightened policy moved existing tokens' expiry",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    #[error("Choose at least one event.")]
    NoEvents,
    #[error("Unknown event \"{0}\".")]
    UnknownEvent(String),
    #[error("The URL must start with https:// (http:// only where the server allows private addresses).")]
    Scheme,
    #[error("The URL has no valid host name.")]
    Host,
    #[error("The URL's port is not a number from 1 to 65535.")]
    Port,
    #[error("The URL may not contain a user name or password, spaces or a fragment.")]
    Form,
    #[error("The URL is longer than 2000 characters.")]
    TooLong,
    #[error("Webhooks cannot be sent to loopback, private or link-local addresses ({0}).")]
    PrivateAddress(IpAddr),
    #[error("The secret must be 16 to 200 characters.")]
    Secret,
    #[error("The host name {0} does not resolve to an address.")]
    Unresolvable(String),
}

impl WebhookError {
    /// The form field the error belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            WebhookError::NoEvents | WebhookError::UnknownEvent(_) => "events",
            WebhookError::Secret => "secret",
            _ => "url",
        }
    }
}

/// Reads the events a form or request picked (names, any order, repeats
/// ignored). At least one.
pub fn parse_events<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Vec<Event>, WebhookError> {
    let mut events = Vec::new();
    for name in names.into_iter().map(str::trim).filter(|n| !n.is_empty()) {
        let event = Event::parse(name).ok_or_else(|| WebhookError::UnknownEvent(name.chars().take(40).collect()))?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    events.sort();
    if events.is_empty() {
        return Err(WebhookError::NoEvents);
    }
    Ok(events)
}

/// A webhook secret: what both sides sign with; long enough to resist guessing.
pub fn check_secret(secret: &str) -> Result<(), WebhookError> {
    if (16..=200).contains(&secret.chars().count()) {
        Ok(())
    } else {
        Err(WebhookError::Secret)
    }
}

/// Where a webhook's URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    /// A DNS name (lower case) or an IP address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// The address itself, when the URL names one instead of a host name.
    pub ip: Option<IpAddr>,
}

/// Reads a webhook URL strictly: `https://host[:port][/path][?query]`, or
/// `http://` when `allow_private` (the server's flag for local receivers).
/// A URL naming a loopback, private or link-local address is refused
/// unless `allow_private`.
pub fn parse_url(url: &str, allow_private: bool) -> Result<Target, WebhookError> {
    if url.len() > 2000 {
        return Err(WebhookError::TooLong);
    }
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://").filter(|_| allow_private) {
        (false, rest)
    } else {
        return Err(WebhookError::Scheme);
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control() || c == '#') {
        return Err(WebhookError::Form);
    }
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(WebhookError::Form);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inside, after) = v6.split_once(']').ok_or(WebhookError::Host)?;
        let ip: Ipv6Addr = inside.parse().map_err(|_| WebhookError::Host)?;
        (IpAddr::V6(ip).to_string(), after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host.to_ascii_lowercase(), Some(port)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    let port = match port {
        None => {
            if https {
                443
            } else {
                80
            }
        }
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            p.parse::<u16>().ok().filter(|&p| p != 0).ok_or(WebhookError::Port)?
        }
        Some(_) => return Err(WebhookError::Port),
    };
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_none() && !is_host_name(&host) {
        return Err(WebhookError::Host);
    }
    if let Some(ip) = ip {
        if !allow_private && !is_public(ip) {
            return Err(WebhookError::PrivateAddress(ip));
        }
    }
    Ok(Target { https, host, port, ip })
}

/// A DNS name: dot-separated labels of letters, digits and hyphens, not
/// all digits (that would be an address).
fn is_host_name(host: &str) -> bool {
    let labels_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    labels_ok && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// Whether a delivery may go to `ip`: not loopback, private, link-local,
/// shared (CGNAT), unspecified, multicast, documentation or reserved; an
/// IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64 (may reach private IPv4)
}

/// Retries stop this long after a delivery was first queued: a day.
pub const RETRY_FOR_SECS: i64 = 24 * 3600;

/// When to try a failed delivery again, after `attempts` tries: one minute
/// after the first, doubling each time (1, 2, 4 … minutes, at most 4 hours
/// apart), never after `give_up_at`. `None`: give up.
pub fn next_attempt(now: i64, attempts: u32, give_up_at: i64) -> Option<i64> {
    let exponent = attempts.saturating_sub(1).min(8);
    let delay = (60i64 << exponent).min(4 * 3600);
    let at = now.saturating_add(delay);
    (at <= give_up_at).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn urls_are_read_strictly() {
        let t = parse_url("https://hooks.example.com/tw?x=1", false).unwrap();
        assert_eq!(
            (t.https, t.host.as_str(), t.port, t.ip),
            (true, "hooks.example.com", 443, None)
        );
        assert_eq!(parse_url("https://Hooks.Example.com:8443", false).unwrap().port, 8443);
        assert_eq!(parse_url("http://hooks.example.com/", false), Err(WebhookError::Scheme));
        assert_eq!(parse_url("ftp://x", true), Err(WebhookError::Scheme));
        assert_eq!(parse_url("https://user:pw@x.example/", false), Err(WebhookError::Form));
        assert_eq!(parse_url("https://x.example/a b", false), Err(WebhookError::Form));
        assert_eq!(parse_url("https://x.example/#f", false), Err(WebhookError::Form));
        assert_eq!(parse_url("https://x.example:0/", false), Err(WebhookError::Port));
        assert_eq!(parse_url("https://x.example:99999/", false), Err(WebhookError::Port));
        assert_eq!(parse_url("https://-x.example/", false), Err(WebhookError::Host));
        assert_eq!(parse_url("https:///path", false), Err(WebhookError::Host));
        assert_eq!(parse_url("https://1.2.3/", false), Err(WebhookError::Host));
    }

    #[test]
    fn private_and_loopback_addresses_are_refused_unless_allowed() {
        for url in [
            "https://127.0.0.1/",
            "https://10.1.2.3/",
            "https://192.168.0.1:8443/",
            "https://172.16.5.4/",
            "https://169.254.169.254/latest/meta-data",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
        ] {
            assert!(
                matches!(parse_url(url, false), Err(WebhookError::PrivateAddress(_))),
                "{url}"
            );
            assert!(parse_url(url, true).is_ok(), "{url} with private addresses allowed");
        }
        let t = parse_url("http://127.0.0.1:8080/hook", true).unwrap();
        assert_eq!(
            (t.https, t.port, t.ip),
            (false, 8080, Some(IpAddr::from([127, 0, 0, 1])))
        );
        assert!(parse_url("https://93.184.215.14/", false).is_ok());
        assert!(parse_url("https://[2606:4700::1111]/", false).is_ok());
    }

    #[test]
    fn events_are_named_as_on_the_wire() {
        assert_eq!(
            parse_events(["token.revoked", "token.expiring", "token.revoked"]).unwrap(),
            [Event::TokenExpiring, Event::TokenRevoked]
        );
        assert_eq!(parse_events([""]), Err(WebhookError::NoEvents));
        assert_eq!(
            parse_events(["token.stolen"]),
            Err(WebhookError::UnknownEvent("token.stolen".into()))
        );
        for e in Event::ALL {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
    }

    #[test]
    fn retries_back_off_exponentially_for_a_day() {
        let start = 1_000_000;
        let give_up = start + RETRY_FOR_SECS;
        let mut now = start;
        let mut delays = Vec::new();
        let mut attempts = 1;
        while let Some(at) = next_attempt(now, attempts, give_up) {
            delays.push(at - now);
            now = at;
            attempts += 1;
        }
        assert_eq!(&delays[..5], [60, 120, 240, 480, 960]);
        assert!(delays.iter().all(|&d| d <= 4 * 3600));
        assert!(
            now <= give_up && give_up - now < 4 * 3600,
            "tries continue until near the end of the day"
        );
    }

    proptest! {
        #[test]
        fn every_url_read_names_a_public_address_or_a_host(url in "(https?://)?[a-z0-9.:\\[\\]@/?#-]{0,40}", allow in any::<bool>()) {
            if let Ok(target) = parse_url(&url, allow) {
                prop_assert!(target.https || allow);
                prop_assert!(target.port != 0);
                if let Some(ip) = target.ip {
                    prop_assert!(allow || is_public(ip));
                }
            }
        }

        #[test]
        fn the_next_attempt_is_later_and_never_past_giving_up(now in 0i64..1 << 40, attempts in 0u32..1000, window in 0i64..2 * RETRY_FOR_SECS) {
            if let Some(at) = next_attempt(now, attempts, now + window) {
                prop_assert!(at > now && at <= now + window);
            }
        }
    }
}

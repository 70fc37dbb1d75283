//! What webhooks receive: the JSON body of each event. Typed, so the
//! wire format is this file and nothing else; never a secret in it.

use crate::model::TokenView;
use serde::Serialize;
use tokenwarden::{warnings::Threshold, webhooks::Event};

/// One event, as every webhook subscribed to it receives it. The delivery
/// id travels in the `Tokenwarden-Delivery` header, the same on retries.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventBody {
    pub event: &'static str,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<TokenInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<WarningInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationInfo>,
    /// `policy.applied`: each token moved, with its old and new expiry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Vec<AppliedInfo>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationInfo {
    /// `token.rotated`: the token replaced (the body's `token` is its
    /// successor); `token.reuse_detected`: the successor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<i64>,
    /// `token.reuse_detected`: successors revoked because of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppliedInfo {
    pub token: TokenInfo,
    /// RFC 3339; `null`: it had no expiry.
    pub old_expires_at: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    /// `workspace`, `project`, `repository` or `personal`.
    pub kind: &'static str,
    /// Where it lives: `acme/WEB/website`, or a personal token's user.
    pub place: String,
    pub permissions: Vec<String>,
    /// RFC 3339, UTC; `null`: never expires.
    pub expires_at: Option<String>,
    pub created_by: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WarningInfo {
    /// 0 for the "expired" notice.
    pub days_before_expiry: u32,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInfo {
    /// `system`, or the workspace's slug.
    pub scope: String,
    /// The change, as the audit log words it.
    pub change: String,
}

/// RFC 3339 in UTC for Unix seconds.
pub fn rfc3339(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl TokenInfo {
    pub fn of(token: &TokenView) -> TokenInfo {
        TokenInfo {
            id: token.id,
            name: token.name.clone(),
            kind: token.kind.as_str(),
            place: token.scope.clone(),
            permissions: token.permissions.clone(),
            expires_at: token.expires_at.map(rfc3339),
            created_by: token.created_by.clone(),
        }
    }
}

impl EventBody {
    fn new(event: Event, now: i64) -> EventBody {
        EventBody {
            event: event.as_str(),
            occurred_at: rfc3339(now),
            token: None,
            warning: None,
            policy: None,
            rotation: None,
            applied: None,
        }
    }

    /// `token.rotated`: `token` is the successor.
    pub fn rotated(successor: &TokenView, now: i64) -> EventBody {
        EventBody {
            token: Some(TokenInfo::of(successor)),
            rotation: Some(RotationInfo {
                replaces: successor.rotated_from,
                replaced_by: None,
                revoked: Vec::new(),
            }),
            ..EventBody::new(Event::TokenRotated, now)
        }
    }

    /// `token.reuse_detected`: `token` is the rotated-away one presented.
    pub fn reuse(token: &TokenView, revoked: &[i64], now: i64) -> EventBody {
        EventBody {
            token: Some(TokenInfo::of(token)),
            rotation: Some(RotationInfo {
                replaces: None,
                replaced_by: token.rotated_to,
                revoked: revoked.to_vec(),
            }),
            ..EventBody::new(Event::ReuseDetected, now)
        }
    }

    /// `policy.applied`: the tokens moved (as they are now) with their old expiry.
    pub fn applied(scope: String, change: String, moved: &[(TokenView, Option<i64>)], now: i64) -> EventBody {
        EventBody {
            policy: Some(PolicyInfo { scope, change }),
            applied: Some(
                moved
                    .iter()
                    .map(|(token, old)| AppliedInfo {
                        token: TokenInfo::of(token),
                        old_expires_at: old.map(rfc3339),
                    })
                    .collect(),
            ),
            ..EventBody::new(Event::PolicyApplied, now)
        }
    }

    /// `token.created` or `token.revoked` (`token.rotated`: see [`EventBody::rotated`]).
    pub fn token(event: Event, token: &TokenView, now: i64) -> EventBody {
        if event == Event::TokenRotated {
            return EventBody::rotated(token, now);
        }
        EventBody {
            token: Some(TokenInfo::of(token)),
            ..EventBody::new(event, now)
        }
    }

    /// `token.expiring` for a threshold before expiry; `token.expired` at it.
    pub fn warning(token: &TokenView, threshold: Threshold, now: i64) -> EventBody {
        EventBody {
            token: Some(TokenInfo::of(token)),
            warning: Some(WarningInfo {
                days_before_expiry: threshold.days(),
                message: format!("Token \"{}\" {threshold}.", token.name),
            }),
            ..EventBody::new(Self::warning_event(threshold), now)
        }
    }

    pub fn warning_event(threshold: Threshold) -> Event {
        match threshold {
            Threshold::AtExpiry => Event::TokenExpired,
            Threshold::DaysBefore(_) => Event::TokenExpiring,
        }
    }

    pub fn policy(scope: String, change: String, now: i64) -> EventBody {
        EventBody {
            policy: Some(PolicyInfo { scope, change }),
            ..EventBody::new(Event::PolicyChanged, now)
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an event body always serializes")
    }
}

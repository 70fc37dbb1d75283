//! Replacing a token without breaking what uses it, and bringing existing
//! tokens under a tightened policy without surprising anyone.
//!
//! - Rotation makes a successor (new secret, same name, place and
//!   permissions) and lets the predecessor keep working for an *overlap*
//!   the rotator picks, never past its own expiry ([`stops_at`]). The
//!   longest overlap is the system admin's ([`RotationPolicy`]).
//! - A token rotating itself gets a successor as long-lived as it was,
//!   capped by today's policy, or shorter if it asks
//!   ([`self_rotation_expiry`]).
//! - An applied policy moves each token beyond it to the new limit counted
//!   from now, but never sooner than a grace period and never later than
//!   the token already expired ([`applied_expiry`]).
//!
//! The browser's choices (which overlaps are disabled) and the server's
//! checks are these functions, once.

use crate::expiry::Unavailable;
use crate::policy::EffectivePolicy;
use chrono::{DateTime, Duration, Utc};
use std::fmt;

const SECONDS_PER_DAY: i64 = 86_400;

/// How long a rotated-away token keeps working beside its successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Overlap {
    None,
    Hour,
    Day,
    Week,
}

impl Overlap {
    pub const ALL: [Overlap; 4] = [Overlap::None, Overlap::Hour, Overlap::Day, Overlap::Week];

    pub fn seconds(self) -> i64 {
        match self {
            Overlap::None => 0,
            Overlap::Hour => 3_600,
            Overlap::Day => SECONDS_PER_DAY,
            Overlap::Week => 7 * SECONDS_PER_DAY,
        }
    }

    /// As forms, REST bodies and the database carry it.
    pub fn value(self) -> &'static str {
        match self {
            Overlap::None => "none",
            Overlap::Hour => "1h",
            Overlap::Day => "1d",
            Overlap::Week => "7d",
        }
    }

    pub fn parse(value: &str) -> Option<Overlap> {
        Overlap::ALL.into_iter().find(|o| o.value() == value.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Overlap::None => "None: the old token stops at once",
            Overlap::Hour => "1 hour",
            Overlap::Day => "1 day",
            Overlap::Week => "7 days",
        }
    }

    /// Each overlap, and whether `max` allows it.
    pub fn options(max: Overlap) -> impl Iterator<Item = (Overlap, bool)> {
        Overlap::ALL.into_iter().map(move |o| (o, o <= max))
    }
}

impl fmt::Display for Overlap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.value())
    }
}

/// The system admin's rules for rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RotationPolicy {
    /// The longest overlap a rotator may pick.
    pub max_overlap: Overlap,
    /// The overlap when the rotator names none: a token rotating itself,
    /// a REST call without `overlap` (within `max_overlap`).
    pub default_overlap: Overlap,
    /// A rotated-away token presented after its overlap revokes its
    /// successors (a leaked, already-rotated secret is a sign of theft).
    pub revoke_on_reuse: bool,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        RotationPolicy {
            max_overlap: Overlap::Week,
            default_overlap: Overlap::Hour,
            revoke_on_reuse: false,
        }
    }
}

impl RotationPolicy {
    /// Reads the admin's form (or stored values); the self-rotation overlap
    /// must be within the maximum.
    pub fn parse(max_overlap: &str, default_overlap: &str, revoke_on_reuse: bool) -> Result<Self, RotationError> {
        let max_overlap = Overlap::parse(max_overlap).ok_or(RotationError::UnknownOverlap)?;
        let default_overlap = Overlap::parse(default_overlap).ok_or(RotationError::UnknownOverlap)?;
        let policy = RotationPolicy {
            max_overlap,
            default_overlap,
            revoke_on_reuse,
        };
        policy.check(default_overlap)?;
        Ok(policy)
    }

    /// `asked`, if this policy allows it.
    pub fn check(&self, asked: Overlap) -> Result<Overlap, RotationError> {
        if asked > self.max_overlap {
            return Err(RotationError::OverlapTooLong { max: self.max_overlap });
        }
        Ok(asked)
    }
}

/// Why a rotation (or an application of a policy) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationError {
    UnknownOverlap,
    OverlapTooLong {
        max: Overlap,
    },
    /// A self-rotation asked for more days than it may have.
    DaysOutOfRange {
        max_days: u32,
    },
    Expiry(Unavailable),
    /// The grace period of an applied policy is out of range.
    GraceOutOfRange,
}

impl fmt::Display for RotationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RotationError::UnknownOverlap => f.write_str("must be one of none, 1h, 1d or 7d"),
            RotationError::OverlapTooLong { max } => write!(
                f,
                "is longer than the system policy allows (at most {})",
                max.label().split(':').next().unwrap_or_default().to_lowercase()
            ),
            RotationError::DaysOutOfRange { max_days } => {
                write!(f, "must be a whole number of days from 1 to {max_days}")
            }
            RotationError::Expiry(reason) => write!(f, "{reason}"),
            RotationError::GraceOutOfRange => write!(f, "must be from {MIN_GRACE_DAYS} to {MAX_GRACE_DAYS} days"),
        }
    }
}

/// When a token rotated at `now` with `overlap` stops: never past its own
/// expiry.
pub fn stops_at(now: i64, overlap: Overlap, expires_at: Option<i64>) -> i64 {
    let end = now.saturating_add(overlap.seconds());
    expires_at.map_or(end, |at| end.min(at))
}

/// The successor's expiry when a token rotates itself at `now`: as long as
/// the original lived (`created_at` to `expires_at`), capped by `policy`;
/// `asked_days` may ask for fewer. An original without expiry gives "No
/// expiry" where today's policy allows it, else the longest it allows.
pub fn self_rotation_expiry(
    policy: &EffectivePolicy,
    now: DateTime<Utc>,
    created_at: i64,
    expires_at: Option<i64>,
    asked_days: Option<u32>,
) -> Result<Option<DateTime<Utc>>, RotationError> {
    let max = i64::from(policy.max_days) * SECONDS_PER_DAY;
    let lifetime = expires_at.map(|at| at.saturating_sub(created_at).clamp(SECONDS_PER_DAY, max));
    let longest = lifetime.unwrap_or(max);
    let seconds = match asked_days {
        Some(days) => {
            let longest_days = u32::try_from(longest / SECONDS_PER_DAY).unwrap_or(u32::MAX).max(1);
            if days == 0 || days > longest_days {
                return Err(RotationError::DaysOutOfRange { max_days: longest_days });
            }
            i64::from(days) * SECONDS_PER_DAY
        }
        None if lifetime.is_none() && policy.allows_no_expiry() => return Ok(None),
        None => longest,
    };
    Ok(Some(now + Duration::seconds(seconds)))
}

/// The fewest days an applied policy leaves a token.
pub const MIN_GRACE_DAYS: u32 = 7;
pub const MAX_GRACE_DAYS: u32 = 365;
pub const DEFAULT_GRACE_DAYS: u32 = 30;

/// Reads the grace period of an applied policy.
pub fn grace_days(value: &str) -> Result<u32, RotationError> {
    let days: u32 = value.trim().parse().map_err(|_| RotationError::GraceOutOfRange)?;
    if !(MIN_GRACE_DAYS..=MAX_GRACE_DAYS).contains(&days) {
        return Err(RotationError::GraceOutOfRange);
    }
    Ok(days)
}

/// The expiry a token gets when `policy` is applied at `now` with
/// `grace_days`, or `None` when it keeps its own: the policy's limit
/// counted from now, but never sooner than the grace period, and never
/// later than the token already expires (applying only ever shortens, and
/// only tokens beyond the policy).
pub fn applied_expiry(policy: &EffectivePolicy, now: i64, expires_at: Option<i64>, grace_days: u32) -> Option<i64> {
    let limit = now.saturating_add(i64::from(policy.max_days) * SECONDS_PER_DAY);
    let beyond = match expires_at {
        None => !policy.allows_no_expiry(),
        Some(at) => at > limit,
    };
    if !beyond {
        return None;
    }
    let grace = now.saturating_add(i64::from(grace_days) * SECONDS_PER_DAY);
    let new = limit.max(grace);
    match expires_at {
        Some(at) if at <= new => None,
        _ => Some(new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{SystemPolicy, WorkspacePolicy};
    use proptest::prelude::*;

    /// `max_days` from the system (any number), "No expiry" from the workspace.
    fn policy(max_days: u32, allow_no_expiry: bool) -> EffectivePolicy {
        let workspace = WorkspacePolicy::new(365, allow_no_expiry).unwrap();
        if max_days >= 365 {
            return EffectivePolicy::for_workspace(SystemPolicy::default(), workspace);
        }
        let mut p = EffectivePolicy::for_workspace(SystemPolicy::new(true, max_days).unwrap(), workspace);
        // A system that requires expiry forbids "No expiry"; keep the case
        // where a shorter limit and "No expiry" meet (a workspace's).
        if allow_no_expiry {
            p.no_expiry_forbidden_by = None;
        }
        p
    }

    #[test]
    fn overlaps_read_and_order() {
        for o in Overlap::ALL {
            assert_eq!(Overlap::parse(o.value()), Some(o));
        }
        assert_eq!(Overlap::parse("2d"), None);
        let allowed: Vec<bool> = Overlap::options(Overlap::Day).map(|(_, ok)| ok).collect();
        assert_eq!(allowed, [true, true, true, false]);
        let rules = RotationPolicy::default();
        assert_eq!(rules.check(Overlap::Week), Ok(Overlap::Week));
        let strict = RotationPolicy::parse("1h", "1h", true).unwrap();
        assert_eq!(
            strict.check(Overlap::Day),
            Err(RotationError::OverlapTooLong { max: Overlap::Hour })
        );
        assert_eq!(
            strict.check(Overlap::Day).unwrap_err().to_string(),
            "is longer than the system policy allows (at most 1 hour)"
        );
        assert!(RotationPolicy::parse("1h", "1d", false).is_err());
    }

    #[test]
    fn the_old_token_never_outlives_itself() {
        assert_eq!(stops_at(100, Overlap::Hour, None), 3_700);
        assert_eq!(stops_at(100, Overlap::Week, Some(500)), 500);
        assert_eq!(stops_at(100, Overlap::None, Some(500)), 100);
    }

    #[test]
    fn self_rotation_keeps_the_length_within_todays_policy() {
        let now = DateTime::from_timestamp(1_000 * SECONDS_PER_DAY, 0).unwrap();
        let created = now.timestamp() - 10 * SECONDS_PER_DAY;
        let at = |days: i64| Some(now + Duration::days(days));
        // A 30-day token gets 30 days again; 90 under a 60-day policy gets 60.
        let p = policy(90, false);
        assert_eq!(
            self_rotation_expiry(&p, now, created, Some(created + 30 * SECONDS_PER_DAY), None),
            Ok(at(30))
        );
        let tight = policy(60, false);
        let ninety = Some(created + 90 * SECONDS_PER_DAY);
        assert_eq!(self_rotation_expiry(&tight, now, created, ninety, None), Ok(at(60)));
        assert_eq!(self_rotation_expiry(&tight, now, created, ninety, Some(7)), Ok(at(7)));
        assert_eq!(
            self_rotation_expiry(&tight, now, created, ninety, Some(61)),
            Err(RotationError::DaysOutOfRange { max_days: 60 })
        );
        // No expiry: kept where allowed, else the longest allowed.
        assert_eq!(
            self_rotation_expiry(&policy(365, true), now, created, None, None),
            Ok(None)
        );
        assert_eq!(self_rotation_expiry(&p, now, created, None, None), Ok(at(90)));
    }

    #[test]
    fn applying_moves_only_tokens_beyond_the_policy() {
        let now = 1_000 * SECONDS_PER_DAY;
        let day = |d: i64| now + d * SECONDS_PER_DAY;
        let p = policy(90, false);
        assert_eq!(applied_expiry(&p, now, Some(day(365)), 30), Some(day(90)));
        assert_eq!(applied_expiry(&p, now, None, 30), Some(day(90)));
        assert_eq!(applied_expiry(&p, now, Some(day(60)), 30), None);
        // The grace period wins over a shorter limit.
        assert_eq!(
            applied_expiry(&policy(7, false), now, Some(day(365)), 30),
            Some(day(30))
        );
        assert_eq!(applied_expiry(&policy(7, false), now, Some(day(20)), 30), None);
        assert_eq!(applied_expiry(&policy(365, true), now, None, 30), None);
        assert!(grace_days("6").is_err() && grace_days("366").is_err() && grace_days("x").is_err());
        assert_eq!(grace_days(" 30 "), Ok(30));
    }

    proptest! {
        #[test]
        fn an_applied_policy_never_lengthens_and_never_cuts_below_the_grace(
            max_days in 1u32..=400,
            allow in any::<bool>(),
            now in 0i64..4_000_000_000,
            left in proptest::option::of(-100i64..2_000 * SECONDS_PER_DAY),
            grace in MIN_GRACE_DAYS..=MAX_GRACE_DAYS,
        ) {
            let p = policy(max_days, allow);
            let expires_at = left.map(|l| now + l);
            if let Some(new) = applied_expiry(&p, now, expires_at, grace) {
                prop_assert!(expires_at.is_none_or(|at| new < at));
                prop_assert!(new >= now + i64::from(grace) * SECONDS_PER_DAY);
                prop_assert!(new <= now + i64::from(p.max_days.max(grace)) * SECONDS_PER_DAY);
                // Applying again changes nothing.
                prop_assert_eq!(applied_expiry(&p, now, Some(new), grace), None);
            }
        }

        #[test]
        fn a_self_rotated_successor_is_within_the_policy_and_no_longer_lived(
            max_days in 1u32..=400,
            allow in any::<bool>(),
            lived in proptest::option::of(1i64..800 * SECONDS_PER_DAY),
            asked in proptest::option::of(0u32..500),
        ) {
            let p = policy(max_days, allow);
            let now = DateTime::from_timestamp(2_000_000_000, 0).unwrap();
            let created = now.timestamp() - 5;
            if let Ok(expiry) = self_rotation_expiry(&p, now, created, lived.map(|l| created + l), asked) {
                match expiry {
                    None => prop_assert!(p.allows_no_expiry() && lived.is_none()),
                    Some(at) => {
                        let secs = (at - now).num_seconds();
                        prop_assert!(secs > 0 && secs <= i64::from(p.max_days) * SECONDS_PER_DAY);
                        if let Some(l) = lived {
                            prop_assert!(secs <= l.max(SECONDS_PER_DAY));
                        }
                    }
                }
            }
        }

        #[test]
        fn the_overlap_ends_within_the_token_and_the_choice(
            now in 0i64..4_000_000_000,
            o in 0usize..4,
            left in proptest::option::of(0i64..30 * SECONDS_PER_DAY),
        ) {
            let overlap = Overlap::ALL[o];
            let expires_at = left.map(|l| now + l);
            let stop = stops_at(now, overlap, expires_at);
            prop_assert!(stop >= now.min(expires_at.unwrap_or(now)) && stop <= now + overlap.seconds());
            prop_assert!(expires_at.is_none_or(|at| stop <= at));
        }
    }
}

//! The warning ladder: when the people who can act hear that a token is
//! about to expire.
//!
//! A token is warned about at each threshold of the ladder (by default 60,
//! 30, 14, 7 and 1 day(s) before it expires) and once at expiry. What is
//! sent, and when, is decided here, purely, so that the sweeper on the
//! server, `tokens/self` over REST and the pages all say the same:
//! - a threshold counts only if it falls after the token was created (a new
//!   7-day token is not warned "14 days left" at birth);
//! - after downtime only the nearest passed threshold is due, never every
//!   missed one;
//! - a threshold already sent (or one before it) is never due again.

use std::fmt;

/// The ladder a fresh install uses, in days before expiry.
pub const DEFAULT_LADDER_DAYS: [u32; 5] = [60, 30, 14, 7, 1];
/// The furthest ahead a warning can be set, in days.
pub const MAX_LADDER_DAYS: u32 = 365;
const SECONDS_PER_DAY: i64 = 86_400;

/// One rung: some days before expiry, or the expiry itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Threshold {
    /// At the moment of expiry ("expired").
    AtExpiry,
    /// This many whole days before expiry.
    DaysBefore(u32),
}

impl Threshold {
    /// The instant (Unix seconds) this threshold falls on for a token
    /// expiring at `expires_at`.
    pub fn at(self, expires_at: i64) -> i64 {
        match self {
            Threshold::AtExpiry => expires_at,
            Threshold::DaysBefore(days) => expires_at.saturating_sub(i64::from(days) * SECONDS_PER_DAY),
        }
    }

    /// How many days before expiry (0 at expiry): what the database keeps
    /// as the last threshold sent.
    pub fn days(self) -> u32 {
        match self {
            Threshold::AtExpiry => 0,
            Threshold::DaysBefore(days) => days,
        }
    }

    /// The inverse of [`Threshold::days`].
    pub fn from_days(days: u32) -> Threshold {
        if days == 0 {
            Threshold::AtExpiry
        } else {
            Threshold::DaysBefore(days)
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::AtExpiry => f.write_str("expired"),
            Threshold::DaysBefore(1) => f.write_str("expires in 1 day"),
            Threshold::DaysBefore(days) => write!(f, "expires in {days} days"),
        }
    }
}

/// The days before expiry at which warnings go out, furthest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder {
    days: Vec<u32>,
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder {
            days: DEFAULT_LADDER_DAYS.to_vec(),
        }
    }
}

/// Why a ladder as typed cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LadderError {
    #[error("Warning days must be whole numbers from 1 to 365, separated by commas, not \"{0}\".")]
    NotADay(String),
    #[error("Give at most 10 warning days.")]
    TooMany,
}

/// The stored and typed form, `60,30,14,7,1`: what [`Ladder::parse`] reads.
impl fmt::Display for Ladder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<String> = self.days.iter().map(u32::to_string).collect();
        f.write_str(&days.join(","))
    }
}

impl Ladder {
    /// For a sentence: "60, 30, 14, 7 and 1 day(s)", or "on no day".
    pub fn describe_before(&self) -> String {
        let days: Vec<String> = self.days.iter().map(u32::to_string).collect();
        match days.split_last() {
            None => "on no day".into(),
            Some((last, [])) => format!("{last} day{}", if last == "1" { "" } else { "s" }),
            Some((last, rest)) => format!(
                "{} and {last} day{}",
                rest.join(", "),
                if last == "1" { "(s)" } else { "s" }
            ),
        }
    }

    /// For people: "60, 30, 14, 7, 1 days", or "none".
    pub fn describe(&self) -> String {
        if self.days.is_empty() {
            return "none".into();
        }
        let days: Vec<String> = self.days.iter().map(u32::to_string).collect();
        format!("{} days", days.join(", "))
    }

    /// Days before expiry, in any order; repeats are dropped. Empty: only the
    /// warning at expiry.
    pub fn new(days: impl IntoIterator<Item = u32>) -> Result<Ladder, LadderError> {
        let mut days: Vec<u32> = days.into_iter().collect();
        if let Some(bad) = days.iter().find(|d| !(1..=MAX_LADDER_DAYS).contains(*d)) {
            return Err(LadderError::NotADay(bad.to_string()));
        }
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        if days.len() > 10 {
            return Err(LadderError::TooMany);
        }
        Ok(Ladder { days })
    }

    /// Reads "60, 30, 14, 7, 1" as an admin types it.
    pub fn parse(text: &str) -> Result<Ladder, LadderError> {
        let mut days = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let valid = part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit());
            let day = valid.then(|| part.parse::<u32>().ok()).flatten();
            match day {
                Some(day) => days.push(day),
                None => return Err(LadderError::NotADay(part.chars().take(20).collect())),
            }
            if days.len() > 10 {
                return Err(LadderError::TooMany);
            }
        }
        Ladder::new(days)
    }

    /// The days, furthest first.
    pub fn days(&self) -> &[u32] {
        &self.days
    }

    /// Both ladders' days together (a workspace adds thresholds to the
    /// system's; it cannot remove any).
    pub fn with(&self, more: &Ladder) -> Ladder {
        let mut days = self.days.clone();
        days.extend_from_slice(&more.days);
        days.sort_unstable_by(|a, b| b.cmp(a));
        days.dedup();
        Ladder { days }
    }

    /// Every threshold, earliest instant first, ending with the expiry.
    pub fn thresholds(&self) -> impl Iterator<Item = Threshold> + '_ {
        self.days
            .iter()
            .map(|&d| Threshold::DaysBefore(d))
            .chain(std::iter::once(Threshold::AtExpiry))
    }

    /// The warning due now for a token created at `created_at` and
    /// expiring at `expires_at` (Unix seconds), given the last threshold
    /// already sent: the nearest passed threshold that falls after its
    /// creation and after the last one sent, if any.
    pub fn due(&self, now: i64, created_at: i64, expires_at: i64, last_sent: Option<Threshold>) -> Option<Threshold> {
        self.thresholds()
            .filter(|t| {
                let at = t.at(expires_at);
                at <= now && (at > created_at || *t == Threshold::AtExpiry)
            })
            .filter(|t| last_sent.is_none_or(|sent| t.at(expires_at) > sent.at(expires_at)))
            .last()
    }

    /// The next warning still ahead of `now` for a token expiring at
    /// `expires_at` that was created at `created_at`, with its instant.
    pub fn next(&self, now: i64, created_at: i64, expires_at: i64) -> Option<(Threshold, i64)> {
        self.thresholds()
            .map(|t| (t, t.at(expires_at)))
            .find(|&(t, at)| at > now && (at > created_at || t == Threshold::AtExpiry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = SECONDS_PER_DAY;

    #[test]
    fn the_default_ladder_warns_at_60_30_14_7_1_days_and_at_expiry() {
        let ladder = Ladder::default();
        let all: Vec<Threshold> = ladder.thresholds().collect();
        assert_eq!(
            all,
            [60, 30, 14, 7, 1]
                .map(Threshold::DaysBefore)
                .into_iter()
                .chain([Threshold::AtExpiry])
                .collect::<Vec<_>>()
        );
        // A year-long token, 20 days before expiry: the 30-day warning.
        let (created, expires) = (0, 365 * DAY);
        let now = expires - 20 * DAY;
        assert_eq!(ladder.due(now, created, expires, None), Some(Threshold::DaysBefore(30)));
        // Once sent, nothing until 14 days before.
        let sent = Some(Threshold::DaysBefore(30));
        assert_eq!(ladder.due(now, created, expires, sent), None);
        assert_eq!(
            ladder.next(now, created, expires),
            Some((Threshold::DaysBefore(14), expires - 14 * DAY))
        );
        assert_eq!(
            ladder.due(expires, created, expires, Some(Threshold::DaysBefore(1))),
            Some(Threshold::AtExpiry)
        );
        assert_eq!(
            ladder.due(expires + DAY, created, expires, Some(Threshold::AtExpiry)),
            None
        );
    }

    #[test]
    fn after_downtime_only_the_nearest_passed_threshold_is_due() {
        let ladder = Ladder::default();
        let (created, expires) = (0, 365 * DAY);
        // Down from 61 days before to 6 days before: one warning, "7 days".
        let now = expires - 6 * DAY;
        assert_eq!(ladder.due(now, created, expires, None), Some(Threshold::DaysBefore(7)));
        assert_eq!(ladder.due(now, created, expires, Some(Threshold::DaysBefore(7))), None);
    }

    #[test]
    fn thresholds_before_a_tokens_creation_never_fire() {
        let ladder = Ladder::default();
        // A new 7-day token: nothing at birth (its 7-day threshold is its creation).
        let (created, expires) = (1_000 * DAY, 1_007 * DAY);
        assert_eq!(ladder.due(created, created, expires, None), None);
        assert_eq!(
            ladder.next(created, created, expires),
            Some((Threshold::DaysBefore(1), expires - DAY))
        );
        assert_eq!(
            ladder.due(expires - DAY, created, expires, None),
            Some(Threshold::DaysBefore(1))
        );
    }

    #[test]
    fn ladders_are_read_strictly_and_combined() {
        let ladder = Ladder::parse("7, 30").unwrap();
        assert_eq!(Ladder::parse(&ladder.to_string()).unwrap(), ladder);
        assert_eq!(
            (ladder.to_string().as_str(), ladder.describe().as_str()),
            ("30,7", "30, 7 days")
        );
        assert_eq!(Ladder::new([]).unwrap().describe(), "none");
        assert_eq!(Ladder::default().describe_before(), "60, 30, 14, 7 and 1 day(s)");
        assert_eq!(Ladder::parse("20").unwrap().describe_before(), "20 days");
        assert_eq!(Ladder::parse(" 7, 30 ,60,30 ").unwrap().days(), [60, 30, 7]);
        assert_eq!(Ladder::parse("").unwrap().days(), [] as [u32; 0]);
        assert_eq!(Ladder::parse("0"), Err(LadderError::NotADay("0".into())));
        assert_eq!(Ladder::parse("366"), Err(LadderError::NotADay("366".into())));
        assert_eq!(Ladder::parse("a week"), Err(LadderError::NotADay("a week".into())));
        assert_eq!(Ladder::parse("-1"), Err(LadderError::NotADay("-1".into())));
        assert_eq!(Ladder::parse("1,2,3,4,5,6,7,8,9,10,11"), Err(LadderError::TooMany));
        let combined = Ladder::default().with(&Ladder::parse("90, 3").unwrap());
        assert_eq!(combined.days(), [90, 60, 30, 14, 7, 3, 1]);
        assert_eq!(
            Threshold::from_days(Threshold::DaysBefore(7).days()),
            Threshold::DaysBefore(7)
        );
        assert_eq!(Threshold::from_days(0), Threshold::AtExpiry);
        assert_eq!(Threshold::DaysBefore(1).to_string(), "expires in 1 day");
    }

    proptest! {
        // Sweeping at any moments, in order, sends each threshold at most
        // once, in ladder order, never one before the token existed, and
        // always the expiry once it passed.
        #[test]
        fn a_sweep_sends_each_threshold_at_most_once_in_order(
            days in prop::collection::vec(1u32..=365, 0..8),
            lifetime_days in 1i64..800,
            steps in prop::collection::vec(0i64..(40 * DAY), 1..60),
        ) {
            let ladder = Ladder::new(days).unwrap();
            let created = 1_000_000_000;
            let expires = created + lifetime_days * DAY;
            let mut now = created;
            let mut sent: Vec<Threshold> = Vec::new();
            for step in steps {
                now += step;
                if let Some(t) = ladder.due(now, created, expires, sent.last().copied()) {
                    prop_assert!(!sent.contains(&t));
                    prop_assert!(t.at(expires) <= now);
                    prop_assert!(t.at(expires) > created || t == Threshold::AtExpiry);
                    if let Some(last) = sent.last() {
                        prop_assert!(t.at(expires) > last.at(expires));
                    }
                    sent.push(t);
                }
                if let Some((next, at)) = ladder.next(now, created, expires) {
                    prop_assert!(at > now);
                    prop_assert!(!sent.contains(&next));
                }
            }
            if now >= expires {
                prop_assert_eq!(sent.last(), Some(&Threshold::AtExpiry));
            }
        }
    }
}

//! Expiry choices a token creator sees, and turning a request into an exact
//! expiry instant.
//!
//! The browser calls [`choices`] to disable, at once and with the reason,
//! every option the policy forbids; the server calls [`resolve`] on what it
//! receives, in the transaction that stores the token. Both use the same
//! code, so whatever the browser offers the server accepts.
//!
//! Boundaries are exact: expiry may be at most `max_days × 86 400` seconds
//! after "now". A custom date means the end (23:59:59) of that day in the
//! creator's time zone, stored as a UTC instant, except on the last day the
//! policy reaches: there it is the limit itself, to the second. So the date
//! picker ends on the day the longest allowed preset ends, and picking that
//! day gives the same instant as the preset.

use crate::{
    policy::{EffectivePolicy, Source},
    validate::ValidationError,
};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

pub use crate::policy::PRESET_DAYS;
const SECONDS_PER_DAY: i64 = 86_400;
/// Time zones span UTC−12:00 to UTC+14:00.
const MAX_OFFSET_MINUTES: i32 = 14 * 60;

/// One option of the expiry selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryChoice {
    Days(u32),
    CustomDate,
    NoExpiry,
}

impl ExpiryChoice {
    /// Stable value for forms: `"30"`, `"custom"`, `"never"`.
    pub fn value(self) -> String {
        match self {
            ExpiryChoice::Days(d) => d.to_string(),
            ExpiryChoice::CustomDate => "custom".into(),
            ExpiryChoice::NoExpiry => "never".into(),
        }
    }

    /// Reads a form value back: the inverse of [`ExpiryChoice::value`].
    pub fn parse(value: &str) -> Option<ExpiryChoice> {
        match value.trim() {
            "never" => Some(ExpiryChoice::NoExpiry),
            "custom" => Some(ExpiryChoice::CustomDate),
            days if !days.is_empty() && days.len() <= 10 && days.bytes().all(|b| b.is_ascii_digit()) => {
                days.parse().ok().map(ExpiryChoice::Days)
            }
            _ => None,
        }
    }

    pub fn label(self) -> String {
        match self {
            ExpiryChoice::Days(d) => format!("{d} days"),
            ExpiryChoice::CustomDate => "Custom date".into(),
            ExpiryChoice::NoExpiry => "No expiry".into(),
        }
    }
}

/// Why an option cannot be chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unavailable {
    LongerThanAllowed {
        max_days: u32,
        source: Source,
    },
    ExpiryRequired {
        source: Source,
    },
    /// No whole day fits (a custom date needs at least the rest of today).
    NoDateFits,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unavailable::LongerThanAllowed { max_days, source } => {
                write!(f, "Longer than the {max_days} days {source} allows")
            }
            Unavailable::ExpiryRequired { source } => write!(f, "{} requires an expiry", capitalized(*source)),
            Unavailable::NoDateFits => f.write_str("No date fits within the allowed expiry"),
        }
    }
}

/// Sources are named in ASCII ("the workspace policy"): no Unicode case
/// tables reach the client for this.
fn capitalized(source: Source) -> String {
    let mut s = source.to_string();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    pub choice: ExpiryChoice,
    /// `None` when the option may be chosen.
    pub unavailable: Option<Unavailable>,
    /// The creator's local date a preset expires on.
    pub until: Option<NaiveDate>,
}

impl ChoiceOption {
    pub fn allowed(&self) -> bool {
        self.unavailable.is_none()
    }

    /// "30 days — until Thu 24 Dec 2026", "Custom date", "No expiry"; an
    /// option that cannot be chosen gives no date (its reason instead).
    pub fn label(&self) -> String {
        match self.until {
            Some(date) if self.allowed() => format!("{} — until {}", self.choice.label(), day_label(date)),
            _ => self.choice.label(),
        }
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "Thu 24 Dec 2026". Written out by hand: chrono's formatting machinery
/// would add much to the browser's download for one pattern.
pub fn day_label(date: NaiveDate) -> String {
    use chrono::Datelike;
    format!(
        "{} {} {} {}",
        WEEKDAYS[date.weekday().num_days_from_monday() as usize],
        date.day(),
        MONTHS[date.month0() as usize],
        date.year()
    )
}

/// The selector's options, in order, each allowed or not with the reason,
/// and the range a custom date may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choices {
    pub options: Vec<ChoiceOption>,
    /// First and last allowed custom date (in the creator's time zone).
    pub date_range: Option<(NaiveDate, NaiveDate)>,
    /// What the form pre-selects: the longest allowed preset not beyond the
    /// policy's default (30 days unless an admin chose another), else the
    /// first allowed option.
    pub default: Option<ExpiryChoice>,
}

impl Choices {
    pub fn is_allowed(&self, choice: ExpiryChoice) -> bool {
        self.options.iter().any(|o| o.choice == choice && o.allowed())
    }

    pub fn default_choice(&self) -> Option<ExpiryChoice> {
        self.default
    }
}

pub fn choices(policy: &EffectivePolicy, now: DateTime<Utc>, utc_offset_minutes: i32) -> Choices {
    let too_long = Unavailable::LongerThanAllowed {
        max_days: policy.max_days,
        source: policy.max_days_source,
    };
    let mut options: Vec<ChoiceOption> = PRESET_DAYS
        .iter()
        .map(|&days| ChoiceOption {
            choice: ExpiryChoice::Days(days),
            unavailable: (days > policy.max_days).then_some(too_long),
            until: local_date(now + Duration::days(i64::from(days)), utc_offset_minutes),
        })
        .collect();
    let date_range = custom_date_range(policy, now, utc_offset_minutes);
    options.push(ChoiceOption {
        choice: ExpiryChoice::CustomDate,
        unavailable: date_range.is_none().then_some(Unavailable::NoDateFits),
        until: None,
    });
    options.push(ChoiceOption {
        choice: ExpiryChoice::NoExpiry,
        unavailable: policy
            .no_expiry_forbidden_by
            .map(|source| Unavailable::ExpiryRequired { source }),
        until: None,
    });
    let default = options
        .iter()
        .filter(|o| o.allowed() && matches!(o.choice, ExpiryChoice::Days(d) if d <= policy.default_days))
        .map(|o| o.choice)
        .next_back()
        .or_else(|| options.iter().find(|o| o.allowed()).map(|o| o.choice));
    Choices {
        options,
        date_range,
        default,
    }
}

/// What a creator asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExpiryRequest {
    /// A whole number of days from now: the form offers presets, the REST
    /// API (as Bitbucket Data Center's) takes any from 1 to the policy's
    /// limit.
    Days(u32),
    /// The end of `date` in the time zone `utc_offset_minutes` east of UTC.
    Date {
        date: NaiveDate,
        utc_offset_minutes: i32,
    },
    NoExpiry,
    /// Nothing asked (a REST create without `expiryDays`): "No expiry"
    /// where the policy allows it, else the longest expiry it allows.
    Longest,
}

impl ExpiryRequest {
    /// Reads the create form's expiry fields: the chosen option's value
    /// ([`ExpiryChoice::value`]), and for a custom date the date
    /// (`YYYY-MM-DD`) and the browser's offset from UTC in minutes. Whether
    /// the policy allows the request is [`resolve`]'s to say.
    pub fn from_form(expiry: &str, date: &str, utc_offset_minutes: &str) -> Result<ExpiryRequest, ValidationError> {
        let refuse = |m: &str| ValidationError::new("expiry", m);
        if expiry.trim().is_empty() {
            return Err(refuse("Choose when the token expires."));
        }
        match ExpiryChoice::parse(expiry).ok_or_else(|| refuse("Choose one of the offered expiry periods."))? {
            ExpiryChoice::Days(days) => Ok(ExpiryRequest::Days(days)),
            ExpiryChoice::NoExpiry => Ok(ExpiryRequest::NoExpiry),
            ExpiryChoice::CustomDate => {
                let date = date.trim();
                let date = (date.len() == 10)
                    .then(|| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
                    .flatten()
                    .ok_or_else(|| refuse("Enter the custom expiry date as YYYY-MM-DD."))?;
                let offset = utc_offset_minutes.trim();
                let utc_offset_minutes = (offset.len() <= 6)
                    .then(|| offset.parse::<i32>().ok())
                    .flatten()
                    .ok_or_else(|| refuse("The time zone offset must be a whole number of minutes."))?;
                Ok(ExpiryRequest::Date {
                    date,
                    utc_offset_minutes,
                })
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum ExpiryError {
    #[error("A token must last at least 1 day.")]
    ZeroDays,
    #[error("{0}.")]
    Unavailable(Unavailable),
    #[error("The expiry date must be today or later.")]
    DateInPast,
    #[error("The expiry date must be on or before {last}: {reason}.")]
    DateTooLate { last: NaiveDate, reason: Unavailable },
    #[error("The time zone offset is not a real one.")]
    BadOffset,
}

/// Turns a request into the exact expiry instant (`None`: never expires),
/// or says why the policy refuses it.
pub fn resolve(
    policy: &EffectivePolicy,
    now: DateTime<Utc>,
    request: ExpiryRequest,
) -> Result<Option<DateTime<Utc>>, ExpiryError> {
    let max = Duration::seconds(i64::from(policy.max_days) * SECONDS_PER_DAY);
    let too_long = Unavailable::LongerThanAllowed {
        max_days: policy.max_days,
        source: policy.max_days_source,
    };
    match request {
        ExpiryRequest::NoExpiry => match policy.no_expiry_forbidden_by {
            None => Ok(None),
            Some(source) => Err(ExpiryError::Unavailable(Unavailable::ExpiryRequired { source })),
        },
        ExpiryRequest::Longest => Ok(policy.no_expiry_forbidden_by.map(|_| now + max)),
        ExpiryRequest::Days(days) => {
            if days == 0 {
                return Err(ExpiryError::ZeroDays);
            }
            if days > policy.max_days {
                return Err(ExpiryError::Unavailable(too_long));
            }
            Ok(Some(now + Duration::seconds(i64::from(days) * SECONDS_PER_DAY)))
        }
        ExpiryRequest::Date {
            date,
            utc_offset_minutes,
        } => {
            let expires = end_of_day(date, utc_offset_minutes).ok_or(ExpiryError::BadOffset)?;
            if expires <= now {
                return Err(ExpiryError::DateInPast);
            }
            let limit = now + max;
            let last = local_date(limit, utc_offset_minutes).ok_or(ExpiryError::BadOffset)?;
            if date > last {
                return Err(ExpiryError::DateTooLate { last, reason: too_long });
            }
            // On the last day, the limit itself: the same instant as the
            // longest preset.
            Ok(Some(expires.min(limit)))
        }
    }
}

/// 23:59:59 of `date` in the zone `utc_offset_minutes` east of UTC, as UTC.
pub fn end_of_day(date: NaiveDate, utc_offset_minutes: i32) -> Option<DateTime<Utc>> {
    if utc_offset_minutes.unsigned_abs() > MAX_OFFSET_MINUTES.unsigned_abs() {
        return None;
    }
    let zone = FixedOffset::east_opt(utc_offset_minutes * 60)?;
    let local = date.and_time(NaiveTime::from_hms_opt(23, 59, 59)?);
    zone.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc))
}

/// The creator's local date at `now`.
pub fn local_date(now: DateTime<Utc>, utc_offset_minutes: i32) -> Option<NaiveDate> {
    if utc_offset_minutes.unsigned_abs() > MAX_OFFSET_MINUTES.unsigned_abs() {
        return None;
    }
    Some((now + Duration::minutes(i64::from(utc_offset_minutes))).date_naive())
}

/// First and last date a custom expiry may take: from the first day whose
/// end is still ahead to the day the policy's limit falls on (where the
/// token expires at the limit, not at the end of the day).
pub fn custom_date_range(
    policy: &EffectivePolicy,
    now: DateTime<Utc>,
    utc_offset_minutes: i32,
) -> Option<(NaiveDate, NaiveDate)> {
    let max = Duration::seconds(i64::from(policy.max_days) * SECONDS_PER_DAY);
    let today = local_date(now, utc_offset_minutes)?;
    let first = if end_of_day(today, utc_offset_minutes)? > now {
        today
    } else {
        today.succ_opt()?
    };
    let last = local_date(now + max, utc_offset_minutes)?;
    (first <= last).then_some((first, last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{SystemPolicy, WorkspacePolicy};
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn policy(max_days: u32, no_expiry: bool) -> EffectivePolicy {
        EffectivePolicy::for_workspace(
            SystemPolicy::default(),
            WorkspacePolicy::new(max_days, no_expiry).unwrap(),
        )
    }
    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_90_day_policy_disables_longer_presets_and_no_expiry_with_reasons() {
        let c = choices(&policy(90, false), at("2026-11-23T10:00:00Z"), 0);
        let allowed: Vec<_> = c
            .options
            .iter()
            .filter(|o| o.allowed())
            .map(|o| o.choice.label())
            .collect();
        assert_eq!(allowed, ["7 days", "30 days", "60 days", "90 days", "Custom date"]);
        let reason = |choice| {
            c.options
                .iter()
                .find(|o| o.choice == choice)
                .unwrap()
                .unavailable
                .unwrap()
                .to_string()
        };
        assert_eq!(
            reason(ExpiryChoice::Days(180)),
            "Longer than the 90 days the workspace policy allows"
        );
        assert_eq!(
            reason(ExpiryChoice::NoExpiry),
            "The workspace policy requires an expiry"
        );
        // Pre-selected: the policy's default (30 days), not the longest.
        assert_eq!(c.default_choice(), Some(ExpiryChoice::Days(30)));
        // The picker ends on the day the longest allowed preset ends.
        assert_eq!(c.date_range, Some((date("2026-11-23"), date("2027-02-21"))));
        let ninety = c.options.iter().find(|o| o.choice == ExpiryChoice::Days(90)).unwrap();
        assert_eq!(ninety.until, Some(date("2027-02-21")));
        assert_eq!(ninety.label(), "90 days — until Sun 21 Feb 2027");
    }

    #[test]
    fn the_default_is_the_longest_allowed_preset_not_beyond_the_admins_choice() {
        let now = at("2026-11-24T10:00:00Z");
        let with_default = |max: u32, default: u32| {
            let ws = WorkspacePolicy::new(max, true)
                .unwrap()
                .with_default_days(default)
                .unwrap();
            choices(&EffectivePolicy::for_workspace(SystemPolicy::default(), ws), now, 0).default_choice()
        };
        assert_eq!(with_default(365, 30), Some(ExpiryChoice::Days(30)));
        assert_eq!(with_default(365, 180), Some(ExpiryChoice::Days(180)));
        // A stricter system policy caps a longer workspace default.
        let ws = WorkspacePolicy::new(365, false)
            .unwrap()
            .with_default_days(180)
            .unwrap();
        let strict = EffectivePolicy::for_workspace(SystemPolicy::new(true, 60).unwrap(), ws);
        assert_eq!(choices(&strict, now, 0).default_choice(), Some(ExpiryChoice::Days(60)));
        // Below every preset, a custom date.
        let tiny = EffectivePolicy::for_personal(SystemPolicy::new(true, 3).unwrap());
        assert_eq!(choices(&tiny, now, 0).default_choice(), Some(ExpiryChoice::CustomDate));
        // Personal tokens with no system requirement: still 30 days, not "No expiry".
        let open = EffectivePolicy::for_personal(SystemPolicy::default());
        assert_eq!(choices(&open, now, 0).default_choice(), Some(ExpiryChoice::Days(30)));
        assert_eq!(day_label(date("2026-12-24")), "Thu 24 Dec 2026");
    }

    #[test]
    fn boundaries_are_exact_to_the_second() {
        let now = at("2026-11-23T23:59:59Z");
        let p = policy(90, false);
        // The end of the day exactly 90 days ahead is exactly 90 days away.
        let expires = resolve(
            &p,
            now,
            ExpiryRequest::Date {
                date: date("2027-02-21"),
                utc_offset_minutes: 0,
            },
        )
        .unwrap()
        .unwrap();
        assert_eq!(expires - now, Duration::days(90));
        // One second earlier, the last day still ends beyond the limit: the
        // token expires at the limit, as the 90-day preset would.
        let p_now = now - Duration::seconds(1);
        let last_day = ExpiryRequest::Date {
            date: date("2027-02-21"),
            utc_offset_minutes: 0,
        };
        assert_eq!(resolve(&p, p_now, last_day), Ok(Some(p_now + Duration::days(90))));
        assert_eq!(
            resolve(&p, p_now, last_day),
            resolve(&p, p_now, ExpiryRequest::Days(90))
        );
        let e = resolve(
            &p,
            p_now,
            ExpiryRequest::Date {
                date: date("2027-02-22"),
                utc_offset_minutes: 0,
            },
        )
        .unwrap_err();
        assert!(
            matches!(e, ExpiryError::DateTooLate { last, .. } if last == date("2027-02-21")),
            "{e:?}"
        );
        assert_eq!(
            resolve(&p, now, ExpiryRequest::Days(90)).unwrap(),
            Some(now + Duration::days(90))
        );
        assert!(resolve(&p, now, ExpiryRequest::Days(180)).is_err());
    }

    #[test]
    fn custom_dates_are_the_end_of_the_day_in_the_creators_zone() {
        let now = at("2026-11-23T10:00:00Z");
        let p = policy(365, false);
        // UTC+02:00: 23:59:59 local is 21:59:59 UTC.
        let e = resolve(
            &p,
            now,
            ExpiryRequest::Date {
                date: date("2026-12-01"),
                utc_offset_minutes: 120,
            },
        )
        .unwrap();
        assert_eq!(e, Some(at("2026-12-01T21:59:59Z")));
        // UTC−05:00.
        let e = resolve(
            &p,
            now,
            ExpiryRequest::Date {
                date: date("2026-12-01"),
                utc_offset_minutes: -300,
            },
        )
        .unwrap();
        assert_eq!(e, Some(at("2026-12-02T04:59:59Z")));
        assert_eq!(
            resolve(
                &p,
                now,
                ExpiryRequest::Date {
                    date: date("2026-11-22"),
                    utc_offset_minutes: 0
                }
            ),
            Err(ExpiryError::DateInPast)
        );
        assert_eq!(
            resolve(
                &p,
                now,
                ExpiryRequest::Date {
                    date: date("2026-12-01"),
                    utc_offset_minutes: 15 * 60
                }
            ),
            Err(ExpiryError::BadOffset)
        );
        // Late in the evening in Auckland it is already tomorrow.
        let range = custom_date_range(&p, at("2026-11-23T12:00:00Z"), 13 * 60).unwrap();
        assert_eq!(range.0, date("2026-11-24"));
    }

    #[test]
    fn form_values_round_trip_and_bad_ones_are_named() {
        for choice in [ExpiryChoice::Days(30), ExpiryChoice::CustomDate, ExpiryChoice::NoExpiry] {
            assert_eq!(ExpiryChoice::parse(&choice.value()), Some(choice));
        }
        assert_eq!(
            ExpiryRequest::from_form("custom", "2026-12-01", "-300"),
            Ok(ExpiryRequest::Date {
                date: date("2026-12-01"),
                utc_offset_minutes: -300
            })
        );
        let message = |e: &str, d: &str, o: &str| ExpiryRequest::from_form(e, d, o).unwrap_err().message;
        assert_eq!(message("", "", ""), "Choose when the token expires.");
        assert_eq!(message("forever", "", ""), "Choose one of the offered expiry periods.");
        assert_eq!(message("-30", "", ""), "Choose one of the offered expiry periods.");
        assert_eq!(
            message("99999999999", "", ""),
            "Choose one of the offered expiry periods."
        );
        assert_eq!(
            message("custom", "1 Dec", "0"),
            "Enter the custom expiry date as YYYY-MM-DD."
        );
        assert_eq!(
            message("custom", "2026-12-01", "UTC"),
            "The time zone offset must be a whole number of minutes."
        );
        assert_eq!(ExpiryRequest::from_form("custom", "", "0").unwrap_err().field, "expiry");
    }

    #[test]
    fn whole_days_within_the_limit_and_allowed_no_expiry_resolve() {
        let now = at("2026-11-23T10:00:00Z");
        assert_eq!(
            resolve(&policy(365, false), now, ExpiryRequest::Days(0)),
            Err(ExpiryError::ZeroDays)
        );
        // Any whole number of days up to the limit, not only the presets
        // (Data Center's REST API takes an integer).
        for days in [1, 14, 45, 364, 365] {
            assert_eq!(
                resolve(&policy(365, false), now, ExpiryRequest::Days(days)),
                Ok(Some(now + Duration::days(i64::from(days))))
            );
        }
        assert_eq!(
            resolve(&policy(365, false), now, ExpiryRequest::Days(1095))
                .unwrap_err()
                .to_string(),
            "Longer than the 365 days the workspace policy allows."
        );
        // Nothing asked: no expiry where allowed, else the longest allowed.
        assert_eq!(resolve(&policy(365, true), now, ExpiryRequest::Longest), Ok(None));
        assert_eq!(
            resolve(&policy(90, false), now, ExpiryRequest::Longest),
            Ok(Some(now + Duration::days(90)))
        );
        assert!(resolve(&policy(365, false), now, ExpiryRequest::NoExpiry).is_err());
        assert_eq!(resolve(&policy(365, true), now, ExpiryRequest::NoExpiry), Ok(None));
        let strict = EffectivePolicy::for_workspace(
            SystemPolicy::new(true, 10).unwrap(),
            WorkspacePolicy::new(365, true).unwrap(),
        );
        assert_eq!(
            resolve(&strict, now, ExpiryRequest::NoExpiry).unwrap_err().to_string(),
            "The system policy requires an expiry."
        );
        assert_eq!(
            resolve(&strict, now, ExpiryRequest::Days(30)).unwrap_err().to_string(),
            "Longer than the 10 days the system policy allows."
        );
    }

    fn any_policy() -> impl Strategy<Value = EffectivePolicy> {
        (
            any::<bool>(),
            1u32..=3650,
            prop::sample::select(vec![90u32, 180, 365]),
            any::<bool>(),
            any::<bool>(),
            prop::sample::select(PRESET_DAYS.to_vec()),
        )
            .prop_map(|(required, sys_days, ws_days, no_expiry, personal, default)| {
                let system = SystemPolicy::new(required, sys_days).unwrap();
                let system = system.with_default_days(default).unwrap_or(system);
                if personal {
                    EffectivePolicy::for_personal(system)
                } else {
                    let ws = WorkspacePolicy::new(ws_days, no_expiry).unwrap();
                    EffectivePolicy::for_workspace(system, ws.with_default_days(default).unwrap_or(ws))
                }
            })
    }

    fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
        // 2001 to 2099, to the second.
        (978_307_200i64..4_102_444_800).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        // Whatever the browser marks allowed the server accepts; whatever it
        // marks disallowed the server refuses.
        #[test]
        fn browser_and_server_agree(policy in any_policy(), now in any_now(), offset in -720i32..=840, date_shift in -5i64..4000) {
            let c = choices(&policy, now, offset);
            // Each option as the browser sends it (its form value), read
            // back as the server reads it.
            for option in &c.options {
                if option.choice == ExpiryChoice::CustomDate {
                    continue;
                }
                let request = ExpiryRequest::from_form(&option.choice.value(), "", "").unwrap();
                prop_assert_eq!(option.allowed(), resolve(&policy, now, request).is_ok(), "{:?}", option);
            }
            // Every date in the offered range resolves; every date outside does not.
            let today = local_date(now, offset).unwrap();
            let date = today + Duration::days(date_shift);
            let offered = c.date_range.is_some_and(|(first, last)| first <= date && date <= last);
            prop_assume!(date.to_string().len() == 10);
            let sent = ExpiryRequest::from_form(&ExpiryChoice::CustomDate.value(), &date.to_string(), &offset.to_string());
            let resolved = resolve(&policy, now, sent.unwrap());
            prop_assert_eq!(offered, resolved.is_ok(), "{:?}", resolved);
            if let Some((first, last)) = c.date_range {
                prop_assert!(c.is_allowed(ExpiryChoice::CustomDate));
                // The picker's last day is the day the policy's limit falls on,
                // so it agrees with the longest allowed preset's date.
                prop_assert_eq!(Some(last), local_date(now + Duration::days(i64::from(policy.max_days)), offset));
                if let Some(longest) = c.options.iter().rfind(|o| o.allowed() && o.until.is_some()) {
                    prop_assert!(longest.until.unwrap() <= last);
                    if longest.choice == ExpiryChoice::Days(policy.max_days) {
                        prop_assert_eq!(longest.until, Some(last));
                    }
                }
                // The default is always an allowed option.
                prop_assert!(c.default_choice().is_some_and(|d| c.is_allowed(d)));
                for d in [first, last] {
                    let at_edge = resolve(&policy, now, ExpiryRequest::Date { date: d, utc_offset_minutes: offset });
                    prop_assert!(at_edge.is_ok(), "{:?}", at_edge);
                }
            }
        }

        // A resolved expiry is in the future and never beyond the policy.
        #[test]
        fn resolved_expiry_is_within_policy(policy in any_policy(), now in any_now(), offset in -720i32..=840, days in 0u32..4000, date_shift in -2i64..4000, pick in 0u8..4) {
            let request = match pick {
                0 => ExpiryRequest::Days(days),
                1 => ExpiryRequest::Date { date: local_date(now, offset).unwrap() + Duration::days(date_shift), utc_offset_minutes: offset },
                2 => ExpiryRequest::Longest,
                _ => ExpiryRequest::NoExpiry,
            };
            // Every whole number of days from 1 to the limit is taken, and
            // nothing asked always resolves.
            let within = (1..=policy.max_days).contains(&days);
            match request {
                ExpiryRequest::Days(_) => prop_assert_eq!(resolve(&policy, now, request).is_ok(), within),
                ExpiryRequest::Longest => prop_assert!(resolve(&policy, now, request).is_ok()),
                _ => {}
            }
            match resolve(&policy, now, request) {
                Ok(Some(expires)) => {
                    prop_assert!(expires > now);
                    prop_assert!(expires - now <= Duration::days(i64::from(policy.max_days)));
                }
                Ok(None) => prop_assert!(policy.allows_no_expiry()),
                Err(_) => {}
            }
        }
    }
}

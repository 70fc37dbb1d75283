//! Expiry policies and how they combine.
//!
//! Two policies bound every new token:
//! - the workspace policy (as in Bitbucket Cloud): the longest expiry is 90,
//!   180 or 365 days (default 365), and "No expiry" may be allowed (default
//!   not);
//! - the system policy (as in Bitbucket Data Center): "Expiry required"
//!   and "Max days until expiry", any whole number from 1 to 3650.
//!
//! The effective policy for a token is the stricter of the two on each
//! point, and remembers which one set each limit so pages can say so.
//! Personal tokens belong to no workspace: only the system policy binds them.
//!
//! Each policy also names the expiry the create form pre-selects (30 days
//! unless an admin chose another preset within the maximum): a token made in
//! a hurry should not live for a year because that was the longest allowed.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// The longest expiry a workspace admin can allow, in days.
pub const WORKSPACE_MAX_DAYS_OPTIONS: [u32; 3] = [90, 180, 365];
pub const DEFAULT_WORKSPACE_MAX_DAYS: u32 = 365;
/// Bounds of the system "Max days until expiry" setting.
pub const SYSTEM_MAX_DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=3650;
/// No token, whatever the policy, is created for longer than this: a custom
/// date further out is refused as a typo.
pub const ABSOLUTE_MAX_DAYS: u32 = 3650;
/// The expiry presets offered to token creators, in days.
pub const PRESET_DAYS: [u32; 6] = [7, 30, 60, 90, 180, 365];
/// The preset pre-selected unless an admin chose another.
pub const DEFAULT_EXPIRY_DAYS: u32 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspacePolicy {
    max_days: u32,
    pub allow_no_expiry: bool,
    default_days: u32,
}

impl Default for WorkspacePolicy {
    fn default() -> Self {
        WorkspacePolicy {
            max_days: DEFAULT_WORKSPACE_MAX_DAYS,
            allow_no_expiry: false,
            default_days: DEFAULT_EXPIRY_DAYS,
        }
    }
}

impl WorkspacePolicy {
    /// With the usual default expiry (30 days).
    pub fn new(max_days: u32, allow_no_expiry: bool) -> Result<Self, PolicyError> {
        if !WORKSPACE_MAX_DAYS_OPTIONS.contains(&max_days) {
            return Err(PolicyError::WorkspaceMaxDays(max_days));
        }
        Ok(WorkspacePolicy {
            max_days,
            allow_no_expiry,
            default_days: DEFAULT_EXPIRY_DAYS,
        })
    }
    pub fn max_days(&self) -> u32 {
        self.max_days
    }
    /// The preset the create form pre-selects.
    pub fn default_days(&self) -> u32 {
        self.default_days
    }

    /// The same policy pre-selecting `days`: a preset within its maximum.
    pub fn with_default_days(self, days: u32) -> Result<Self, PolicyError> {
        check_default(days, self.max_days)?;
        Ok(WorkspacePolicy {
            default_days: days,
            ..self
        })
    }

    /// Reads the workspace policy form: the chosen longest expiry, the
    /// "Allow No expiry" checkbox's value (absent when unchecked) and the
    /// default expiry (absent: 30 days).
    pub fn from_form(
        max_days: &str,
        allow_no_expiry: Option<&str>,
        default_days: Option<&str>,
    ) -> Result<Self, PolicyError> {
        let days = whole_number(max_days).ok_or(PolicyError::WorkspaceMaxDaysNotANumber)?;
        WorkspacePolicy::new(days, checked(allow_no_expiry))?.with_default_days(default_from_form(default_days)?)
    }
}

/// The default expiry as the policy forms send it (absent: 30 days).
fn default_from_form(value: Option<&str>) -> Result<u32, PolicyError> {
    match value {
        None => Ok(DEFAULT_EXPIRY_DAYS),
        Some(text) => whole_number(text).ok_or(PolicyError::DefaultDaysNotANumber),
    }
}

/// A default must be a preset, and one the maximum allows (`max_days`:
/// `None` when nothing bounds it). When the maximum is below every preset
/// there is nothing to pre-select but a custom date, and any preset is kept
/// for when the maximum grows.
fn check_default(days: u32, max_days: u32) -> Result<(), PolicyError> {
    if !PRESET_DAYS.contains(&days) {
        return Err(PolicyError::DefaultDays(days));
    }
    if days > max_days && max_days >= PRESET_DAYS[0] {
        return Err(PolicyError::DefaultBeyondMax { days, max_days });
    }
    Ok(())
}

/// The presets a default may take under a maximum of `max_days`, each with
/// whether it may be chosen: what the policy forms offer, and what
/// [`WorkspacePolicy::with_default_days`] and
/// [`SystemPolicy::with_default_days`] accept.
pub fn default_options(max_days: Option<u32>) -> impl Iterator<Item = (u32, bool)> {
    PRESET_DAYS
        .into_iter()
        .map(move |days| (days, max_days.is_none_or(|max| check_default(days, max).is_ok())))
}

/// Whether a checkbox was ticked: browsers send its value ("on") only then.
pub fn checked(value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "false")
}

fn whole_number(text: &str) -> Option<u32> {
    let text = text.trim();
    (!text.is_empty() && text.len() <= 9 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemPolicy {
    pub expiry_required: bool,
    /// Applies only while expiry is required (as in Bitbucket Data Center).
    max_days: u32,
    /// What personal tokens' create form pre-selects.
    default_days: u32,
}

impl Default for SystemPolicy {
    fn default() -> Self {
        SystemPolicy {
            expiry_required: false,
            max_days: 365,
            default_days: DEFAULT_EXPIRY_DAYS,
        }
    }
}

impl SystemPolicy {
    /// With the usual default expiry (30 days).
    pub fn new(expiry_required: bool, max_days: u32) -> Result<Self, PolicyError> {
        if !SYSTEM_MAX_DAYS_RANGE.contains(&max_days) {
            return Err(PolicyError::SystemMaxDays(max_days));
        }
        Ok(SystemPolicy {
            expiry_required,
            max_days,
            default_days: DEFAULT_EXPIRY_DAYS,
        })
    }
    pub fn max_days(&self) -> u32 {
        self.max_days
    }
    /// The preset personal tokens' create form pre-selects.
    pub fn default_days(&self) -> u32 {
        self.default_days
    }
    /// What bounds a default: the max days while expiry is required.
    pub fn default_bound(&self) -> Option<u32> {
        self.expiry_required.then_some(self.max_days)
    }

    /// The same policy pre-selecting `days`: a preset, within the max days
    /// while expiry is required.
    pub fn with_default_days(self, days: u32) -> Result<Self, PolicyError> {
        check_default(days, self.default_bound().unwrap_or(ABSOLUTE_MAX_DAYS))?;
        Ok(SystemPolicy {
            default_days: days,
            ..self
        })
    }

    /// Reads the system policy form: the "Expiry required" checkbox's value
    /// (absent when unchecked), "Max days until expiry" as typed and the
    /// default expiry (absent: 30 days).
    pub fn from_form(
        expiry_required: Option<&str>,
        max_days: &str,
        default_days: Option<&str>,
    ) -> Result<Self, PolicyError> {
        let days = whole_number(max_days).ok_or(PolicyError::SystemMaxDaysNotANumber)?;
        SystemPolicy::new(checked(expiry_required), days)?.with_default_days(default_from_form(default_days)?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum PolicyError {
    #[error("The longest expiry for a workspace must be 90, 180 or 365 days, not {0}.")]
    WorkspaceMaxDays(u32),
    #[error("Choose 90, 180 or 365 days.")]
    WorkspaceMaxDaysNotANumber,
    #[error("Max days until expiry must be a whole number from 1 to 3650, not {0}.")]
    SystemMaxDays(u32),
    #[error("Max days until expiry must be a whole number from 1 to 3650.")]
    SystemMaxDaysNotANumber,
    #[error("The default expiry must be 7, 30, 60, 90, 180 or 365 days, not {0}.")]
    DefaultDays(u32),
    #[error("The default expiry must be 7, 30, 60, 90, 180 or 365 days.")]
    DefaultDaysNotANumber,
    #[error("The default expiry ({days} days) must be within the longest allowed ({max_days} days).")]
    DefaultBeyondMax { days: u32, max_days: u32 },
}

impl PolicyError {
    /// The form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            PolicyError::DefaultDays(_) | PolicyError::DefaultDaysNotANumber | PolicyError::DefaultBeyondMax { .. } => {
                "default_days"
            }
            _ => "max_days",
        }
    }
}

/// Which policy set a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// Administration > Access tokens.
    System,
    /// Workspace settings > Access tokens.
    Workspace,
    /// Tokenwarden's own ceiling on custom dates.
    Product,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::System => "the system policy",
            Source::Workspace => "the workspace policy",
            Source::Product => "Tokenwarden's 10-year limit",
        })
    }
}

/// What binds one new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectivePolicy {
    pub max_days: u32,
    pub max_days_source: Source,
    /// `None` when "No expiry" is allowed; else the policy that forbids it.
    pub no_expiry_forbidden_by: Option<Source>,
    /// The preset an admin chose to pre-select; the create form takes the
    /// longest allowed preset not beyond it.
    pub default_days: u32,
}

impl EffectivePolicy {
    /// For workspace, project and repository tokens, and personal tokens
    /// used inside a workspace.
    pub fn for_workspace(system: SystemPolicy, workspace: WorkspacePolicy) -> Self {
        let (max_days, max_days_source) = if system.expiry_required && system.max_days < workspace.max_days {
            (system.max_days, Source::System)
        } else {
            (workspace.max_days, Source::Workspace)
        };
        let no_expiry_forbidden_by = if system.expiry_required {
            Some(Source::System)
        } else if !workspace.allow_no_expiry {
            Some(Source::Workspace)
        } else {
            None
        };
        EffectivePolicy {
            max_days,
            max_days_source,
            no_expiry_forbidden_by,
            default_days: workspace.default_days,
        }
    }

    /// For personal tokens: only the system policy applies.
    pub fn for_personal(system: SystemPolicy) -> Self {
        if system.expiry_required {
            EffectivePolicy {
                max_days: system.max_days,
                max_days_source: Source::System,
                no_expiry_forbidden_by: Some(Source::System),
                default_days: system.default_days,
            }
        } else {
            EffectivePolicy {
                max_days: ABSOLUTE_MAX_DAYS,
                max_days_source: Source::Product,
                no_expiry_forbidden_by: None,
                default_days: system.default_days,
            }
        }
    }

    pub fn allows_no_expiry(&self) -> bool {
        self.no_expiry_forbidden_by.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(days: u32, no_expiry: bool) -> WorkspacePolicy {
        WorkspacePolicy::new(days, no_expiry).unwrap()
    }
    fn sys(required: bool, days: u32) -> SystemPolicy {
        SystemPolicy::new(required, days).unwrap()
    }

    #[test]
    fn defaults_match_bitbucket() {
        let p = EffectivePolicy::for_workspace(SystemPolicy::default(), WorkspacePolicy::default());
        assert_eq!((p.max_days, p.max_days_source), (365, Source::Workspace));
        assert_eq!(p.no_expiry_forbidden_by, Some(Source::Workspace));
    }

    #[test]
    fn settings_are_validated() {
        assert_eq!(WorkspacePolicy::new(30, false), Err(PolicyError::WorkspaceMaxDays(30)));
        assert!(SystemPolicy::new(true, 0).is_err());
        assert!(SystemPolicy::new(true, 3651).is_err());
        assert!(SystemPolicy::new(true, 3650).is_ok());
        assert_eq!(
            PolicyError::SystemMaxDays(0).to_string(),
            "Max days until expiry must be a whole number from 1 to 3650, not 0."
        );
    }

    #[test]
    fn forms_are_read_strictly() {
        assert_eq!(WorkspacePolicy::from_form(" 180 ", Some("on"), None), Ok(ws(180, true)));
        assert_eq!(WorkspacePolicy::from_form("90", None, None), Ok(ws(90, false)));
        assert_eq!(WorkspacePolicy::from_form("90", Some("false"), None), Ok(ws(90, false)));
        assert_eq!(
            WorkspacePolicy::from_form("ninety", None, None),
            Err(PolicyError::WorkspaceMaxDaysNotANumber)
        );
        assert_eq!(
            WorkspacePolicy::from_form("30", None, None),
            Err(PolicyError::WorkspaceMaxDays(30))
        );
        assert_eq!(SystemPolicy::from_form(Some("on"), "45", None), Ok(sys(true, 45)));
        for bad in ["", "-1", "1e3", "4.5", "99999999999999999999"] {
            assert_eq!(
                SystemPolicy::from_form(None, bad, None),
                Err(PolicyError::SystemMaxDaysNotANumber),
                "{bad}"
            );
        }
        assert_eq!(
            SystemPolicy::from_form(None, "0", None),
            Err(PolicyError::SystemMaxDays(0))
        );
    }

    #[test]
    fn defaults_are_presets_within_the_maximum() {
        assert_eq!(WorkspacePolicy::default().default_days(), 30);
        assert_eq!(SystemPolicy::default().default_days(), 30);
        assert_eq!(
            WorkspacePolicy::from_form("90", None, Some("60")).map(|p| p.default_days()),
            Ok(60)
        );
        assert_eq!(
            WorkspacePolicy::from_form("90", None, Some("180")),
            Err(PolicyError::DefaultBeyondMax {
                days: 180,
                max_days: 90
            })
        );
        assert_eq!(
            WorkspacePolicy::from_form("365", None, Some("14")),
            Err(PolicyError::DefaultDays(14))
        );
        assert_eq!(
            WorkspacePolicy::from_form("365", None, Some("a month")),
            Err(PolicyError::DefaultDaysNotANumber)
        );
        assert_eq!(PolicyError::DefaultDaysNotANumber.field(), "default_days");
        // The system's max days bounds the default only while expiry is required.
        assert_eq!(
            SystemPolicy::from_form(None, "45", Some("365")).map(|p| p.default_days()),
            Ok(365)
        );
        assert_eq!(
            SystemPolicy::from_form(Some("on"), "45", Some("60")),
            Err(PolicyError::DefaultBeyondMax { days: 60, max_days: 45 })
        );
        // Below every preset, only a custom date fits: the default waits.
        assert!(SystemPolicy::from_form(Some("on"), "5", Some("30")).is_ok());
        let offered: Vec<u32> = default_options(Some(90))
            .filter(|(_, ok)| *ok)
            .map(|(d, _)| d)
            .collect();
        assert_eq!(offered, [7, 30, 60, 90]);
        assert!(default_options(None).all(|(_, ok)| ok));
        let p = EffectivePolicy::for_workspace(sys(true, 45), ws(180, false).with_default_days(90).unwrap());
        assert_eq!(p.default_days, 90);
        assert_eq!(
            EffectivePolicy::for_personal(SystemPolicy::default().with_default_days(7).unwrap()).default_days,
            7
        );
    }

    #[test]
    fn the_stricter_policy_wins_and_is_named() {
        let p = EffectivePolicy::for_workspace(sys(true, 30), ws(90, true));
        assert_eq!((p.max_days, p.max_days_source), (30, Source::System));
        assert_eq!(p.no_expiry_forbidden_by, Some(Source::System));
        let p = EffectivePolicy::for_workspace(sys(true, 200), ws(180, false));
        assert_eq!((p.max_days, p.max_days_source), (180, Source::Workspace));
        // Not required: the system's max days does not apply.
        let p = EffectivePolicy::for_workspace(sys(false, 10), ws(90, true));
        assert_eq!((p.max_days, p.allows_no_expiry()), (90, true));
    }

    #[test]
    fn personal_tokens_follow_the_system_policy() {
        let p = EffectivePolicy::for_personal(sys(true, 45));
        assert_eq!(
            (p.max_days, p.max_days_source, p.allows_no_expiry()),
            (45, Source::System, false)
        );
        let p = EffectivePolicy::for_personal(SystemPolicy::default());
        assert_eq!((p.max_days, p.allows_no_expiry()), (ABSOLUTE_MAX_DAYS, true));
    }
}

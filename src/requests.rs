//! What a script sends to manage tokens over REST, in Bitbucket Data
//! Center's words: `{"name", "permissions": [...], "expiryDays"}` to create,
//! `{"name"?, "permissions"?}` to edit, `{"expiryDays"?, "overlap"?}` to
//! rotate. Decoding is serde's (a wrong type or
//! an out-of-range number is the client's error, a 400); the meaning of each
//! field is here, once, so the server and the fuzz targets read a body the
//! same way.

use crate::expiry::ExpiryRequest;
use crate::rotation::{Overlap, RotationError};
use serde::Deserialize;

/// `PUT …/access-tokens/1.0/…`: a new token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewTokenBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub permissions: Vec<String>,
    /// Whole days until expiry, from 1 to the policy's limit (Data Center
    /// takes any integer, not a preset). Absent: "No expiry" where the
    /// policy allows it, else the longest expiry it allows (scripts written
    /// for Data Center send none).
    pub expiry_days: Option<u32>,
}

impl NewTokenBody {
    pub fn expiry(&self) -> ExpiryRequest {
        match self.expiry_days {
            Some(days) => ExpiryRequest::Days(days),
            None => ExpiryRequest::Longest,
        }
    }
}

/// `POST …/access-tokens/1.0/…/{tokenId}`: only the fields sent change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateTokenBody {
    pub name: Option<String>,
    pub permissions: Option<Vec<String>>,
    /// Sent (with any value but `null`) only to be refused: a token's
    /// expiry never changes.
    #[serde(default, deserialize_with = "sent")]
    pub expiry_days: bool,
}

/// `POST …/{tokenId}/rotate` (a manager rotating) and
/// `POST /rest/api/1.0/tokens/self/rotate` (a token rotating itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RotateTokenBody {
    /// The successor's days until expiry. A manager's rotation reads it as
    /// creation does (absent: "No expiry" where allowed, else the longest);
    /// a self-rotation only to ask for
    /// fewer days than the token had (absent: as many, within the policy).
    pub expiry_days: Option<u32>,
    /// How long the old token keeps working: `none`, `1h`, `1d` or `7d`
    /// (absent: the system's default overlap). Not for a self-rotation,
    /// which always gets the default.
    pub overlap: Option<String>,
}

impl RotateTokenBody {
    /// The successor's expiry as a manager's rotation chooses it.
    pub fn expiry(&self) -> ExpiryRequest {
        NewTokenBody {
            expiry_days: self.expiry_days,
            ..NewTokenBody::default()
        }
        .expiry()
    }

    /// The overlap asked for: `None` for the default, `Err` for a name
    /// that is not one.
    pub fn overlap(&self) -> Result<Option<Overlap>, RotationError> {
        self.overlap
            .as_deref()
            .map(|o| Overlap::parse(o).ok_or(RotationError::UnknownOverlap))
            .transpose()
    }
}

/// Whether the field holds a value: present and not `null`.
fn sent<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Option::<serde::de::IgnoredAny>::deserialize(deserializer).map(|value| value.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_as_bitbucket_sends_them() {
        let new: NewTokenBody =
            serde_json::from_str(r#"{"name":"ci","permissions":["REPO_READ"],"expiryDays":30}"#).unwrap();
        assert_eq!(new.expiry(), ExpiryRequest::Days(30));
        let never: NewTokenBody = serde_json::from_str(r#"{"name":"ci","permissions":[]}"#).unwrap();
        assert_eq!(never.expiry(), ExpiryRequest::Longest);
        for bad in [
            r#"{"expiryDays":-1}"#,
            r#"{"expiryDays":1e3}"#,
            r#"{"expiryDays":"30"}"#,
            r#"{"expiryDays":99999999999}"#,
            r#"{"permissions":"REPO_READ"}"#,
            r#"[]"#,
        ] {
            assert!(serde_json::from_str::<NewTokenBody>(bad).is_err(), "{bad}");
        }
        let rotate: RotateTokenBody = serde_json::from_str(r#"{"expiryDays":30,"overlap":"1d"}"#).unwrap();
        assert_eq!(
            (rotate.expiry(), rotate.overlap()),
            (ExpiryRequest::Days(30), Ok(Some(Overlap::Day)))
        );
        let bare: RotateTokenBody = serde_json::from_str("{}").unwrap();
        assert_eq!((bare.expiry(), bare.overlap()), (ExpiryRequest::Longest, Ok(None)));
        let odd: RotateTokenBody = serde_json::from_str(r#"{"overlap":"2d"}"#).unwrap();
        assert_eq!(odd.overlap(), Err(RotationError::UnknownOverlap));
        let edit: UpdateTokenBody = serde_json::from_str(r#"{"name":"x","expiryDays":null}"#).unwrap();
        assert_eq!((edit.name.as_deref(), edit.expiry_days), (Some("x"), false));
        let edit: UpdateTokenBody = serde_json::from_str(r#"{"expiryDays":{"a":1}}"#).unwrap();
        assert!(edit.expiry_days && edit.permissions.is_none());
    }
}

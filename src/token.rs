//! The access-token secret format.
//!
//! `tww_` (workspace), `twp_` (project), `twr_` (repository) or `twu_`
//! (personal), then 33 base62 characters carrying 192 random bits, then a
//! 6-character base62 CRC-32 of everything before it. The prefix lets
//! secret scanners recognise a leaked token; the checksum lets the server
//! reject a mistyped or made-up token before any database lookup.
//!
//! The randomness comes from the caller (the server reads the OS source):
//! this crate does no I/O.

use crate::permissions::TokenKind;
use serde::{Serialize, Serializer};
use std::fmt;
use thiserror::Error;

/// Random bytes in a token: 192 bits.
pub const SECRET_BYTES: usize = 24;
const PREFIX_LEN: usize = 4;
pub(crate) const BODY_LEN: usize = 33;
const CHECKSUM_LEN: usize = 6;
/// Length of every token.
pub const TOKEN_LEN: usize = PREFIX_LEN + BODY_LEN + CHECKSUM_LEN;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub fn prefix(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Workspace => "tww_",
        TokenKind::Project => "twp_",
        TokenKind::Repository => "twr_",
        TokenKind::Personal => "twu_",
    }
}

/// A token secret in the clear. It exists once, in the answer to the
/// request that created it; `Debug` hides it and there is no `Display`, so
/// it cannot slip into a log line.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainToken(String);

impl PlainToken {
    pub fn new(kind: TokenKind, random: [u8; SECRET_BYTES]) -> PlainToken {
        let mut token = String::with_capacity(TOKEN_LEN);
        token.push_str(prefix(kind));
        token.push_str(&base62(&random, BODY_LEN));
        let checksum = crc32(token.as_bytes());
        token.push_str(&base62(&checksum.to_be_bytes(), CHECKSUM_LEN));
        PlainToken(token)
    }

    /// The secret itself: for hashing, and for showing once to its creator.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PlainToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlainToken({}…)", &self.0[..PREFIX_LEN])
    }
}

impl Serialize for PlainToken {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TokenFormatError {
    #[error("not a Tokenwarden token: unknown prefix")]
    UnknownPrefix,
    #[error("not a Tokenwarden token: wrong length")]
    WrongLength,
    #[error("not a Tokenwarden token: unexpected character")]
    BadCharacter,
    #[error("not a Tokenwarden token: checksum mismatch (mistyped or truncated?)")]
    BadChecksum,
}

/// Checks a presented token's shape and checksum and returns its kind.
/// Needs no database: malformed input is rejected here.
pub fn check(token: &str) -> Result<TokenKind, TokenFormatError> {
    let kind = TokenKind::ALL
        .into_iter()
        .find(|k| token.starts_with(prefix(*k)))
        .ok_or(TokenFormatError::UnknownPrefix)?;
    if token.len() != TOKEN_LEN {
        return Err(TokenFormatError::WrongLength);
    }
    // Characters before splitting: the length is in bytes, and a secret
    // from HTTP Basic may be any UTF-8 (a split inside a character panics).
    if !token[PREFIX_LEN..].bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(TokenFormatError::BadCharacter);
    }
    let (payload, checksum) = token.split_at(PREFIX_LEN + BODY_LEN);
    if base62(&crc32(payload.as_bytes()).to_be_bytes(), CHECKSUM_LEN) != checksum {
        return Err(TokenFormatError::BadChecksum);
    }
    Ok(kind)
}

/// `bytes` as a big-endian number in base 62, left-padded to `width`.
pub(crate) fn base62(bytes: &[u8], width: usize) -> String {
    let mut number = bytes.to_vec();
    let mut digits = Vec::with_capacity(width);
    while number.iter().any(|&b| b != 0) {
        let mut remainder = 0u32;
        for byte in number.iter_mut() {
            let value = (remainder << 8) | u32::from(*byte);
            *byte = (value / 62) as u8;
            remainder = value % 62;
        }
        digits.push(ALPHABET[remainder as usize]);
    }
    debug_assert!(digits.len() <= width, "base62 overflow");
    digits.resize(width, b'0');
    digits.reverse();
    String::from_utf8(digits).expect("ASCII")
}

/// CRC-32 (IEEE), bitwise: a few dozen bytes per call.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A token is "expiring soon" within at most this many days of its expiry…
pub const EXPIRING_SOON_DAYS: i64 = 7;
/// …and only in the last quarter of its own lifetime: a new 7-day token is
/// not "expiring soon" the moment it is made (it is for its last 42 hours),
/// while a year-long one is for its last week.
pub const EXPIRING_SOON_SHARE_OF_LIFETIME: i64 = 4;

/// A rotated token whose overlap ends before its expiry stopped by
/// rotation; one whose expiry came first (or at once) expired.
fn s_before(stops_at: Option<i64>, expires_at: i64) -> bool {
    stops_at.is_some_and(|s| s < expires_at)
}

/// Where a token stands, as the lists show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
pub enum TokenState {
    Active,
    ExpiringSoon,
    Expired,
    Revoked,
    /// Replaced by a successor, and past its overlap.
    Rotated,
}

impl TokenState {
    pub const ALL: [TokenState; 5] = [
        TokenState::Active,
        TokenState::ExpiringSoon,
        TokenState::Expired,
        TokenState::Revoked,
        TokenState::Rotated,
    ];

    /// From Unix seconds: a token works while `now < expires_at`; it is
    /// "expiring soon" in the last quarter of its lifetime (from
    /// `created_at`), at most the last [`EXPIRING_SOON_DAYS`].
    pub fn at(now: i64, created_at: i64, expires_at: Option<i64>, revoked: bool) -> TokenState {
        Self::of(now, created_at, expires_at, revoked, None)
    }

    /// [`TokenState::at`] for a token that may have been rotated: it stops
    /// at `stops_at` (the end of its overlap), unless it expired first.
    pub fn of(now: i64, created_at: i64, expires_at: Option<i64>, revoked: bool, stops_at: Option<i64>) -> TokenState {
        match expires_at {
            _ if revoked => TokenState::Revoked,
            _ if stops_at.is_some_and(|s| now >= s) && expires_at.is_none_or(|e| s_before(stops_at, e)) => {
                TokenState::Rotated
            }
            Some(e) if now >= e => TokenState::Expired,
            Some(e) if e - now <= Self::soon_window(created_at, e) => TokenState::ExpiringSoon,
            _ => TokenState::Active,
        }
    }

    /// How long before its expiry a token counts as expiring soon.
    pub fn soon_window(created_at: i64, expires_at: i64) -> i64 {
        let lifetime = expires_at.saturating_sub(created_at).max(0);
        (lifetime / EXPIRING_SOON_SHARE_OF_LIFETIME).min(EXPIRING_SOON_DAYS * 86_400)
    }

    pub fn label(self) -> &'static str {
        match self {
            TokenState::Active => "Active",
            TokenState::ExpiringSoon => "Expiring soon",
            TokenState::Expired => "Expired",
            TokenState::Revoked => "Revoked",
            TokenState::Rotated => "Rotated",
        }
    }

    pub fn works(self) -> bool {
        matches!(self, TokenState::Active | TokenState::ExpiringSoon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_rotated_token_stops_at_the_end_of_its_overlap_unless_it_expired_first() {
        assert_eq!(TokenState::of(99, 0, Some(500), false, Some(100)), TokenState::Active);
        assert_eq!(TokenState::of(100, 0, Some(500), false, Some(100)), TokenState::Rotated);
        assert_eq!(TokenState::of(500, 0, Some(500), false, Some(500)), TokenState::Expired);
        assert_eq!(TokenState::of(100, 0, None, true, Some(100)), TokenState::Revoked);
        assert!(!TokenState::Rotated.works());
    }

    #[test]
    fn states_follow_the_clock_to_the_second() {
        let day = 86_400;
        let year_old = -358 * day;
        assert_eq!(TokenState::at(0, 0, None, false), TokenState::Active);
        assert_eq!(TokenState::at(0, year_old, Some(8 * day), false), TokenState::Active);
        assert_eq!(
            TokenState::at(0, year_old, Some(7 * day), false),
            TokenState::ExpiringSoon
        );
        assert_eq!(TokenState::at(99, 0, Some(100), false), TokenState::ExpiringSoon);
        assert_eq!(TokenState::at(100, 0, Some(100), false), TokenState::Expired);
        assert_eq!(TokenState::at(0, 0, Some(100), true), TokenState::Revoked);
        // A new 7-day token is active; it is expiring soon in its last quarter.
        assert_eq!(TokenState::at(0, 0, Some(7 * day), false), TokenState::Active);
        assert_eq!(TokenState::at(5 * day, 0, Some(7 * day), false), TokenState::Active);
        assert_eq!(
            TokenState::at(6 * day, 0, Some(7 * day), false),
            TokenState::ExpiringSoon
        );
        // A 30-day token: its last 7 days.
        assert_eq!(TokenState::at(22 * day, 0, Some(30 * day), false), TokenState::Active);
        assert_eq!(
            TokenState::at(23 * day, 0, Some(30 * day), false),
            TokenState::ExpiringSoon
        );
        assert!(!TokenState::Expired.works() && TokenState::ExpiringSoon.works());
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn tokens_have_a_prefix_per_kind_and_a_fixed_length() {
        for kind in TokenKind::ALL {
            let t = PlainToken::new(kind, [7; SECRET_BYTES]);
            assert!(t.expose().starts_with(prefix(kind)));
            assert_eq!(t.expose().len(), TOKEN_LEN);
            assert_eq!(check(t.expose()), Ok(kind));
        }
        assert_eq!(TOKEN_LEN, 43);
        // The largest 192-bit number still fits the body.
        assert_eq!(
            PlainToken::new(TokenKind::Personal, [255; SECRET_BYTES]).expose().len(),
            TOKEN_LEN
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let t = PlainToken::new(TokenKind::Repository, [42; SECRET_BYTES]);
        assert_eq!(format!("{t:?}"), "PlainToken(twr_…)");
    }

    #[test]
    fn malformed_tokens_are_named() {
        let t = PlainToken::new(TokenKind::Project, [1; SECRET_BYTES]);
        let s = t.expose();
        assert_eq!(check("ghp_abc"), Err(TokenFormatError::UnknownPrefix));
        assert_eq!(check(&s[..TOKEN_LEN - 1]), Err(TokenFormatError::WrongLength));
        assert_eq!(
            check(&format!("{}-{}", &s[..10], &s[11..])),
            Err(TokenFormatError::BadCharacter)
        );
        // 43 bytes with a two-byte character across the checksum's start
        // (found by fuzzing: it used to panic).
        let across = format!("tww_{}é{}", "A".repeat(32), "A".repeat(5));
        assert_eq!(across.len(), TOKEN_LEN);
        assert_eq!(check(&across), Err(TokenFormatError::BadCharacter));
        let mut typo = s.to_string().into_bytes();
        typo[10] = if typo[10] == b'a' { b'b' } else { b'a' };
        assert_eq!(
            check(std::str::from_utf8(&typo).unwrap()),
            Err(TokenFormatError::BadChecksum)
        );
    }

    proptest! {
        // Every generated token checks out; any single-character change is caught.
        #[test]
        fn checksum_catches_every_single_typo(random in any::<[u8; SECRET_BYTES]>(), kind in 0usize..4, at in PREFIX_LEN..TOKEN_LEN, with in 0usize..62) {
            let kind = TokenKind::ALL[kind];
            let token = PlainToken::new(kind, random);
            prop_assert_eq!(check(token.expose()), Ok(kind));
            let mut changed = token.expose().as_bytes().to_vec();
            prop_assume!(changed[at] != ALPHABET[with]);
            changed[at] = ALPHABET[with];
            prop_assert!(check(std::str::from_utf8(&changed).unwrap()).is_err());
        }

        #[test]
        fn different_randomness_gives_different_tokens(a in any::<[u8; SECRET_BYTES]>(), b in any::<[u8; SECRET_BYTES]>()) {
            prop_assume!(a != b);
            prop_assert_ne!(PlainToken::new(TokenKind::Personal, a), PlainToken::new(TokenKind::Personal, b));
        }
    }
}

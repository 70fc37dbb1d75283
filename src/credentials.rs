//! Reading an `Authorization` header: `Bearer <token>` (RFC 6750) or
//! `Basic <base64 of user:secret>` (RFC 7617), both as Bitbucket accepts them.
//!
//! The header is attacker-controlled, so the reader is strict and bounded:
//! at most [`MAX_HEADER_BYTES`], visible ASCII only, one scheme, no empty
//! secret. What is not well formed is [`Malformed`] and never reaches the
//! database. A parsed secret is a [`Secret`], so it cannot be printed.

use crate::secret::Secret;
use base64::Engine;
use std::fmt;

/// Longer `Authorization` values are refused unread: no credential of ours
/// comes near it (a token is 43 characters).
pub const MAX_HEADER_BYTES: usize = 4096;

/// What an `Authorization` header carries.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Bearer(Secret),
    Basic { user: String, secret: Secret },
}

impl Credentials {
    pub fn secret(&self) -> &Secret {
        match self {
            Credentials::Bearer(secret) | Credentials::Basic { secret, .. } => secret,
        }
    }
}

// Never printed with the secret.
impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Bearer(_) => f.write_str("Bearer(…)"),
            Credentials::Basic { user, .. } => write!(f, "Basic({user:?}, …)"),
        }
    }
}

/// The header is not `Bearer …` or `Basic …` as the RFCs define them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed;

/// Reads one `Authorization` header value, as raw bytes (a header may hold
/// anything a client sends).
pub fn parse(value: &[u8]) -> Result<Credentials, Malformed> {
    if value.len() > MAX_HEADER_BYTES || !value.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\t') {
        return Err(Malformed);
    }
    let value = std::str::from_utf8(value).map_err(|_| Malformed)?.trim();
    let (scheme, rest) = value.split_once([' ', '\t']).ok_or(Malformed)?;
    let rest = rest.trim();
    if rest.is_empty() || rest.contains([' ', '\t']) {
        return Err(Malformed);
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        return Ok(Credentials::Bearer(Secret::new(rest)));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| Malformed)?;
        let decoded = String::from_utf8(decoded).map_err(|_| Malformed)?;
        let (user, secret) = decoded.split_once(':').ok_or(Malformed)?;
        if secret.is_empty() || user.chars().any(char::is_control) {
            return Err(Malformed);
        }
        return Ok(Credentials::Basic {
            user: user.to_string(),
            secret: Secret::new(secret),
        });
    }
    Err(Malformed)
}

/// `Basic …` for `user` and `secret`, as clients send it.
pub fn basic_header(user: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_bearer_and_basic() {
        assert_eq!(parse(b"Bearer abc"), Ok(Credentials::Bearer(Secret::new("abc"))));
        assert_eq!(parse(b"bearer  abc "), Ok(Credentials::Bearer(Secret::new("abc"))));
        // "alice:tww_x" in base64; a colon in the secret part stays in it.
        assert_eq!(
            parse(b"Basic YWxpY2U6dHd3X3g="),
            Ok(Credentials::Basic {
                user: "alice".into(),
                secret: Secret::new("tww_x")
            })
        );
        assert_eq!(
            parse(basic_header("a", "b:c").as_bytes()),
            Ok(Credentials::Basic {
                user: "a".into(),
                secret: Secret::new("b:c")
            })
        );
    }

    #[test]
    fn anything_else_is_malformed() {
        for bad in [
            &b""[..],
            b"Bearer",
            b"Bearer ",
            b"Bearer a b",
            b"Basic !!!",
            b"Digest abc",
            b"Basic YWxpY2U=", // "alice": no colon
            b"Basic YWxpY2U6", // "alice:": no secret
            b"Bearer \xff\xfe",
            b"Bearer a\x00b",
        ] {
            assert_eq!(parse(bad), Err(Malformed), "{bad:?}");
        }
        let long = format!("Bearer {}", "a".repeat(MAX_HEADER_BYTES));
        assert_eq!(parse(long.as_bytes()), Err(Malformed));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let c = parse(basic_header("alice", "twu_secret").as_bytes()).unwrap();
        assert_eq!(format!("{c:?}"), "Basic(\"alice\", …)");
        assert!(!format!("{:?}", parse(b"Bearer twu_secret").unwrap()).contains("secret"));
    }

    proptest! {
        // What a client encodes is what the server reads back.
        #[test]
        fn basic_round_trips(user in "[^:\\p{Cc}]{0,40}", secret in "\\PC{1,60}") {
            let header = basic_header(&user, &secret);
            prop_assume!(header.len() <= MAX_HEADER_BYTES);
            let parsed = parse(header.as_bytes()).unwrap();
            prop_assert_eq!(parsed, Credentials::Basic { user, secret: Secret::new(secret) });
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(&bytes);
        }
    }
}

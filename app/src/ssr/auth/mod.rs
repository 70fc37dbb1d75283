//! Authenticating a REST or Git request: its one `Authorization` header,
//! read once, goes to the verification it names. A token (Bearer, or HTTP
//! Basic with a token as password) to [`token`]; HTTP Basic with anything
//! else, for a person's username, to the legacy app passwords
//! ([`app_password`]). Both answer with the types of [`principal`].

pub mod app_password;
pub mod principal;
pub mod token;

pub use principal::{AppPasswordPrincipal, AuthError, Principal, TokenPrincipal, RESOURCE_TOKEN_USER};

use super::{last_used::Channel, AppState};
use http::{header::AUTHORIZATION, HeaderMap};
use tokenwarden::{
    credentials::{self, Credentials},
    token as token_format,
};

/// The request's one `Authorization` header, read (several are refused:
/// which one counts would be ambiguous).
fn credentials(headers: &HeaderMap) -> Result<Credentials, AuthError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(AuthError::Missing)?;
    if values.next().is_some() {
        return Err(AuthError::Malformed);
    }
    credentials::parse(value.as_bytes()).map_err(|_| AuthError::Malformed)
}

/// Authenticates the request's `Authorization` header at this instant:
/// Bearer, or Basic with a token as password; Basic with anything else is an
/// app password. Notes the credential as used `via` REST or Git.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    client_addr: &str,
    via: Channel,
) -> Result<Principal, AuthError> {
    let credentials = credentials(headers)?;
    match (token_format::check(credentials.secret().expose()), &credentials) {
        (Ok(kind), _) => token::verify(state, &credentials, kind, client_addr, via)
            .await
            .map(Principal::Token),
        // Not a token at all: a legacy app password, if the user is a person.
        (Err(token_format::TokenFormatError::UnknownPrefix), Credentials::Basic { user, secret })
            if user != RESOURCE_TOKEN_USER =>
        {
            state
                .app_passwords
                .authenticate(&state.db, &state.last_used, user, secret.expose(), client_addr, via)
                .await
                .map(Principal::AppPassword)
        }
        (Err(_), _) => Err(AuthError::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn one_header_is_read_and_two_are_refused() {
        assert!(matches!(
            credentials(&headers(&["Bearer abc"])),
            Ok(Credentials::Bearer(_))
        ));
        assert_eq!(credentials(&HeaderMap::new()), Err(AuthError::Missing));
        assert_eq!(credentials(&headers(&["Digest abc"])), Err(AuthError::Malformed));
        assert_eq!(
            credentials(&headers(&["Bearer abc", "Bearer def"])),
            Err(AuthError::Malformed)
        );
    }
}

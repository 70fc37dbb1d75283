//! Pieces of the OpenAPI document that handlers name in their
//! `#[utoipa::path]` and `#[schema]` attributes: the shared refusals (each a
//! named response with the [`Errors`](super::error::Errors) body and its
//! headers) and the schemas of validated fields, written from the rules
//! crate's limits. `docs` assembles the document from the handlers.

use std::collections::BTreeMap;
use tokenwarden::validate;
use utoipa::{
    openapi::{
        header::HeaderBuilder, response::ResponseBuilder, Content, Object, ObjectBuilder, Ref, RefOr, Response, Type,
    },
    IntoResponses, ToResponse,
};

/// A display name (token, repository): what `validate::display_name` takes.
pub(crate) fn display_name() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(validate::NAME_MAX_CHARS))
        .pattern(Some(
            r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$",
        ))
        .description(Some(format!(
            "1 to {} characters (surrounding spaces are trimmed), no control characters",
            validate::NAME_MAX_CHARS
        )))
        .build()
}

/// A repository slug: what `validate::repository_slug` takes.
pub(crate) fn repository_slug() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(validate::REPOSITORY_SLUG_MAX_CHARS))
        .pattern(Some(r"^(?!.*\.\.)(?!.*\.[gG][iI][tT]$)[A-Za-z0-9][A-Za-z0-9._-]*$"))
        .description(Some(
            "Letters, digits, '-', '.' and '_', starting with a letter or digit, not ending in '.git', no '..' \
             (stored in lower case)",
        ))
        .build()
}

/// The shared refusals.
macro_rules! refusals {
    ($($name:ident: $description:literal $(, $header:literal = $header_description:literal)*;)*) => {$(
        pub(crate) struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                let response = ResponseBuilder::new()
                    .description($description)
                    .content("application/json", Content::new(Some(Ref::from_schema_name("Errors"))))
                    $(.header($header, header($header, $header_description)))*
                    .build();
                (stringify!($name), response.into())
            }
        }
    )*};
}

fn header(name: &str, description: &str) -> utoipa::openapi::header::Header {
    let schema = match name {
        "Retry-After" => ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)),
        _ => ObjectBuilder::new().schema_type(Type::String),
    };
    HeaderBuilder::new()
        .schema(schema)
        .description(Some(description))
        .build()
}

refusals! {
    Invalid: "A field is wrong; `field` names it.";
    TokenUnauthenticated: "No token, or not a valid one now (`reason`: missing, malformed, unknown, expired with \
        `expired_at`, revoked, rotated with `expired_at` (its overlap's end), or app_password_retired with \
        `retired_on`).",
        "WWW-Authenticate" = "The schemes to authenticate with";
    Forbidden: "The token sees the resource but lacks the permission the message names.";
    NotFound: "No such resource, or the caller cannot see it.";
    TooLarge: "The body is larger than 64 KiB.";
    TokenThrottled: "Too many wrong app passwords for this user from this address: wait `Retry-After` seconds.",
        "Retry-After" = "Seconds to wait";
    Busy: "Every app password check is busy: try again after `Retry-After` seconds, or use an API token.",
        "Retry-After" = "Seconds to wait";
    PasswordUnauthenticated: "No password or session, or a wrong password (one answer for unknown users and wrong \
        passwords).",
        "WWW-Authenticate" = "The schemes to authenticate with";
    TokenNotAllowed: "Access tokens cannot manage tokens (`reason` token_not_allowed), or the user may not manage \
        tokens here.";
    PasswordThrottled: "Too many wrong passwords for this account (from this address, or from new addresses): wait \
        `Retry-After` seconds.",
        "Retry-After" = "Seconds to wait";
    Conflict: "The token was revoked while this call ran (a revoked token is not found: 404).";
    RotateConflict: "The token was rotated already (rotate its successor instead), or was revoked while this call \
        ran.";
    AmbiguousKey: "The project key is used in several workspaces the caller can see (the message names them): use \
        the workspace's path.";
}

/// The refusals operations share, as groups an operation lists after its
/// success (`responses((status = 200, …), TokenCall)`).
macro_rules! refusal_groups {
    ($($(#[$doc:meta])* $name:ident: $($status:literal => $response:ident),+;)*) => {$(
        $(#[$doc])*
        pub(crate) struct $name;

        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                BTreeMap::from([$(($status.to_string(), Ref::from_response_name(stringify!($response)).into())),+])
            }
        }
    )*};
}

refusal_groups! {
    /// Any call with an access token (or app password).
    TokenCall: "401" => TokenUnauthenticated, "404" => NotFound, "429" => TokenThrottled, "503" => Busy;
    /// A change with an access token: its body, and its permission.
    TokenChange: "400" => Invalid, "403" => Forbidden, "413" => TooLarge;
    /// Any token-management call (password or session).
    PasswordCall: "400" => Invalid, "401" => PasswordUnauthenticated, "403" => TokenNotAllowed, "404" => NotFound,
        "429" => PasswordThrottled;
}

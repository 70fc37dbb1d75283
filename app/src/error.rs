//! The one error type of the app layer. Every server function returns it;
//! it crosses the wire in postcard to the browser (JSON to anyone else, see
//! `api`) and is shown to users through `Display`.
//! Its HTTP status is decided here, in one place.

use leptos::server_fn::{codec::PostcardEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokenwarden::ValidationError;

#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
pub enum AppError {
    #[error("Sign in to continue.")]
    Unauthenticated,
    #[error("You don't have permission to do that.")]
    Forbidden,
    #[error("{0} not found.")]
    NotFound(String),
    #[error("{} {}", capitalize(&.0.field), .0.message)]
    Invalid(ValidationError),
    #[error("{0}")]
    Conflict(String),
    /// A rule refused the request; `message` is a full sentence.
    #[error("{message}")]
    Refused { field: String, message: String },
    /// One message for unknown user and wrong password, so sign-in does not
    /// reveal which accounts exist.
    #[error("Incorrect username, email or password.")]
    BadCredentials,
    #[error("Too many failed sign-in attempts. Try again in {} minute{}.", minutes(*retry_after_secs), if minutes(*retry_after_secs) == 1 { "" } else { "s" })]
    TooManyAttempts { retry_after_secs: u64 },
    /// The request body is larger than any form or JSON body of ours.
    #[error("The request is too large: at most {limit_kib} KiB.")]
    PayloadTooLarge { limit_kib: u64 },
    /// Details are logged on the server, never sent to the browser.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
    /// The request did not reach the server function or its answer was unreadable.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

/// Field names are ASCII: no Unicode case tables in the client for them.
fn capitalize(s: &str) -> String {
    let mut s = s.to_string();
    if let Some(first) = s.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    s
}

fn minutes(secs: u64) -> u64 {
    secs.div_ceil(60).max(1)
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(ValidationError::new(field, message))
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => 401,
            AppError::Forbidden => 403,
            AppError::NotFound(_) => 404,
            AppError::Invalid(_) | AppError::Refused { .. } => 400,
            AppError::Conflict(_) => 409,
            AppError::TooManyAttempts { .. } => 429,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::Internal => 500,
            AppError::Transport(_) => 502,
        }
    }

    /// The form field this error is about, if any, so a form can show it there.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid(v) => Some(&v.field),
            AppError::Refused { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl AppError {
    pub fn refused(field: &str, message: impl ToString) -> Self {
        AppError::Refused {
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

impl From<ValidationError> for AppError {
    fn from(e: ValidationError) -> Self {
        AppError::Invalid(e)
    }
}

impl FromServerFnError for AppError {
    type Encoder = PostcardEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        let error = match value {
            // Bad arguments (a forged or malformed form post) are the caller's fault.
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                AppError::invalid("request", format!("is malformed: {msg}"))
            }
            // On the server, only a request body can fail to deserialize.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(msg) => AppError::invalid("request", format!("is malformed: {msg}")),
            other => AppError::Transport(other.to_string()),
        };
        // On the server this runs while the request is being answered, so
        // the status can follow the error here too.
        #[cfg(feature = "ssr")]
        if let Some(options) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = http::StatusCode::from_u16(error.status()) {
                options.set_status(status);
            }
        }
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_well() {
        assert_eq!(
            AppError::invalid("password", "must be at least 12 characters").to_string(),
            "Password must be at least 12 characters"
        );
        assert_eq!(
            AppError::TooManyAttempts { retry_after_secs: 61 }.to_string(),
            "Too many failed sign-in attempts. Try again in 2 minutes."
        );
        assert_eq!(
            AppError::TooManyAttempts { retry_after_secs: 5 }.to_string(),
            "Too many failed sign-in attempts. Try again in 1 minute."
        );
    }

    #[test]
    fn statuses() {
        assert_eq!(AppError::BadCredentials.status(), 401);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::invalid("x", "y").status(), 400);
    }
}

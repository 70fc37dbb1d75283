//! A secret in the clear: a password typed into a form, or a new token or
//! app password on its one trip to its creator.
//!
//! Server-function arguments and answers are plain structs that derive
//! `Debug` (Leptos's macro does so for every server function's input), so a
//! `String` there would print the password in any debug log line or panic
//! message. A [`Secret`] crosses the wire as the plain string it is (serde
//! is transparent) but its `Debug` shows only that a secret was there, and it
//! has no `Display`: reading it takes [`Secret::expose`], which is easy to
//! search for.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself: for verifying, hashing, or showing once to its creator.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_exposed(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_value_and_serde_is_transparent() {
        let s = Secret::new("hunter2 hunter2");
        assert_eq!(format!("{s:?}"), "Secret(…)");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(Secret(…))");
        assert_eq!(s.expose(), "hunter2 hunter2");
    }
}

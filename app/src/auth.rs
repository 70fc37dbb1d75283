//! The auth context: who is signed in. Provided once at the root while the
//! server renders a page; pages read it with [`use_auth`]. Signing in, out
//! and setup end in a redirect, so the next page reads it afresh.

use crate::resource::{server_resource, ServerResource};
use crate::{api::auth::GetCurrentUser, model::CurrentUser};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Auth {
    pub user: ServerResource<Option<CurrentUser>>,
}

pub fn provide_auth() {
    let user = server_resource(|| (), |_| GetCurrentUser {});
    provide_context(Auth { user });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

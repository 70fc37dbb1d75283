//! The auth context: who is signed in, and the actions that change it.
//! Provided once at the root; pages read it with [`use_auth`].

use crate::{
    api::auth::{get_current_user, Login, Logout, Setup},
    error::AppError,
    model::CurrentUser,
};
use leptos::prelude::*;

#[derive(Clone, Copy)]
pub struct Auth {
    /// Refetched whenever someone signs in, out, or completes setup.
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub setup: ServerAction<Setup>,
}

pub fn provide_auth() {
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let setup = ServerAction::<Setup>::new();
    let user = Resource::new(
        move || (login.version().get(), logout.version().get(), setup.version().get()),
        |_| get_current_user(),
    );
    provide_context(Auth {
        user,
        login,
        logout,
        setup,
    });
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

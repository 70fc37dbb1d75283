//! [`ServerForm`]: Leptos's `ActionForm` without the round trip through
//! the arguments' type in the browser.
//!
//! `ActionForm` reads a submitted form into the server function's argument
//! struct with serde_qs, then serializes that struct again, with serde_qs,
//! into the very `application/x-www-form-urlencoded` body the form already
//! was. Here the form's fields are sent as the browser encodes them
//! (`URLSearchParams`), through server_fn's own browser client, and the
//! answer is read as server_fn reads it: postcard on success, the
//! [`AppError`] on a refusal, a redirect followed. The server checks the
//! arguments either way (it always did). The client no longer carries
//! serde_qs, a deserializer and a serializer per form, or Leptos's dispatch
//! machinery per server function: 25.9 KB less brotli-compressed WASM
//! (122 KB less after wasm-opt), for the 18 forms here.
//!
//! What a form's submissions come to is a [`FormAction`]: the last answer
//! and how many have come, the two signals of Leptos's `ServerAction` that
//! pages read, without its dispatcher (an async action and a client per
//! server function, which no form calls any more): 11.9 KB less again
//! (69 KB after wasm-opt). Its `pending()` and `input()` are gone with it;
//! nothing here read them. Only decoding the answer depends on the server
//! function; the form, its submit handler and the request are one copy of
//! code for every form (2.2 KB less than one per form).
//!
//! Without the client the same `<form>` posts to the same URL, as before.

use crate::{call::decode, error::AppError};
use leptos::{
    html::Form,
    prelude::*,
    server_fn::{Bytes, ServerFn},
};
use serde::de::DeserializeOwned;
use std::{marker::PhantomData, sync::Arc};

/// The answers of server function `S` to a form's submissions.
pub struct FormAction<S: ServerFn> {
    value: RwSignal<Option<Result<S::Output, AppError>>>,
    version: RwSignal<usize>,
    function: PhantomData<fn() -> S>,
}

impl<S: ServerFn> FormAction<S>
where
    S::Output: Send + Sync + 'static,
{
    pub fn new() -> Self {
        FormAction {
            value: RwSignal::new(None),
            version: RwSignal::new(0),
            function: PhantomData,
        }
    }

    /// The last submission's answer, `None` before any (or once cleared).
    pub fn value(&self) -> RwSignal<Option<Result<S::Output, AppError>>> {
        self.value
    }

    /// How many submissions have been answered: a change reloads what
    /// the form changed.
    pub fn version(&self) -> RwSignal<usize> {
        self.version
    }
}

impl<S: ServerFn> Default for FormAction<S>
where
    S::Output: Send + Sync + 'static,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<S: ServerFn> Clone for FormAction<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ServerFn> Copy for FormAction<S> {}

/// A `<form>` that calls server function `S` with its fields and puts the
/// answer in `action`'s `value()`, bumping its `version()`.
#[component]
pub fn ServerForm<S>(
    action: FormAction<S>,
    /// The `<form>` element, for forms that reset or move the focus.
    #[prop(optional)]
    node_ref: NodeRef<Form>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: DeserializeOwned + Clone + Send + Sync + 'static,
{
    // The one step that needs `S`: its answer's type. The form, its submit
    // handler and the request are the same code for every form. A plain
    // closure, not a `Callback`: the form may be gone (its row closed) by
    // the time the answer comes, and the answer still reaches `action`.
    let answered: Answered = Arc::new(move |answer: Result<Bytes, AppError>| {
        let answer = answer.and_then(decode::<S::Output>);
        action.value().set(Some(answer));
        action.version().update(|n| *n += 1);
    });
    posting_form(S::PATH, node_ref, answered, children)
}

/// What is done with a form's answer: the body of a success, or the refusal.
type Answered = Arc<dyn Fn(Result<Bytes, AppError>) + Send + Sync>;

/// The `<form>` posting to `path`; `answered` gets each answer.
fn posting_form(path: &'static str, node_ref: NodeRef<Form>, answered: Answered, children: Children) -> impl IntoView {
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let body = browser::form_body(&ev);
            let answered = answered.clone();
            leptos::task::spawn_local(async move {
                let answer = match body {
                    Some(body) => crate::call::post(path, body).await,
                    None => Err(AppError::Transport("the form's fields could not be read".into())),
                };
                answered(answer);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = answered;
    };
    view! {
        <form action=path method="post" node_ref=node_ref on:submit=on_submit>
            {children()}
        </form>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    /// The submitted form's fields (and the button that submitted it, if
    /// named), URL-encoded as the browser would post them.
    pub fn form_body(ev: &leptos::ev::SubmitEvent) -> Option<String> {
        let data = leptos::form::form_data_from_event(ev).ok()?;
        let params = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
        params.to_string().as_string()
    }
}

//! [`ServerForm`]: Leptos's `ActionForm` without the round trip through
//! the arguments' type in the browser.
//!
//! `ActionForm` reads a submitted form into the server function's argument
//! struct with serde_qs, then serializes that struct again, with serde_qs,
//! into the very `application/x-www-form-urlencoded` body the form already
//! was. Here the form's fields are sent as the browser encodes them
//! (`URLSearchParams`), through server_fn's own browser client
//! ([`crate::call::post`]), and the answer is read as server_fn reads it:
//! postcard on success, the
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
//! nothing here read them. Nothing of a form depends on its server
//! function but decoding the answer, when a page reads it
//! ([`FormAction::value`]): the form, its submit handler, the request and
//! the signals holding the answer (its postcard bytes) are one copy of code
//! for every form (2.2 KB less than one per form, then 2.3 KB less again
//! with the answer kept as bytes).
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
///
/// Kept as they came (the answer's postcard bytes, or the refusal) and
/// decoded when read: the signals are one type for every form, and only
/// [`FormAction::value`] is compiled per answer type, for the few forms
/// whose answer is shown.
pub struct FormAction<S: ServerFn> {
    answer: RwSignal<Option<Result<Bytes, AppError>>>,
    version: RwSignal<usize>,
    function: PhantomData<fn() -> S>,
}

impl<S: ServerFn> FormAction<S> {
    pub fn new() -> Self {
        FormAction {
            answer: RwSignal::new(None),
            version: RwSignal::new(0),
            function: PhantomData,
        }
    }

    /// The last submission's answer, `None` before any (or once cleared).
    pub fn value(&self) -> Option<Result<S::Output, AppError>>
    where
        S::Output: DeserializeOwned,
    {
        self.answer
            .with(|answer| answer.clone().map(|answer| answer.and_then(decode)))
    }

    /// Whether the last submission succeeded.
    pub fn succeeded(&self) -> bool {
        self.answer.with(|answer| matches!(answer, Some(Ok(_))))
    }

    /// Forgets the last answer (a new secret closed, say).
    pub fn clear(&self) {
        self.answer.set(None);
    }

    /// How many submissions have been answered: a change reloads what
    /// the form changed.
    pub fn version(&self) -> RwSignal<usize> {
        self.version
    }

    /// Whether the last submission succeeded or why it failed, whatever
    /// the answer was: what [`ActionError`](super::ActionError) and
    /// [`ActionResult`](super::ActionResult) show.
    pub fn outcome(&self) -> Signal<Option<Result<(), AppError>>> {
        outcome(self.answer)
    }
}

fn outcome(answer: RwSignal<Option<Result<Bytes, AppError>>>) -> Signal<Option<Result<(), AppError>>> {
    Signal::derive(move || answer.with(|answer| answer.as_ref().map(|a| a.as_ref().map(|_| ()).map_err(Clone::clone))))
}

impl<S: ServerFn> Default for FormAction<S> {
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
/// answer in `action` (its `value()`), bumping its `version()`.
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
{
    posting_form(S::PATH, node_ref, answered(action.answer, action.version), children)
}

/// Where a form's answers go. A plain closure, not a `Callback`: the form
/// may be gone (its row closed) by the time the answer comes, and the
/// answer still reaches its `FormAction`.
fn answered(answer: RwSignal<Option<Result<Bytes, AppError>>>, version: RwSignal<usize>) -> Answered {
    Arc::new(move |received: Result<Bytes, AppError>| {
        answer.set(Some(received));
        version.update(|n| *n += 1);
    })
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

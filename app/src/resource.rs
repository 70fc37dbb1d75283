//! Data a page loads from its server functions, as resources: one kind
//! for every page, so the browser decodes all of it with one small decoder,
//! and keeps all of it in one kind of Leptos resource.
//!
//! A Leptos resource is compiled into the client once per type of value it
//! holds and once per pair of closures it is made with (its async
//! machinery: about 2 KB of WASM each). Here every resource holds the same
//! type, a server function's answer as postcard bytes or its refusal
//! ([`Carried`]), and in the browser every one is made by the same code
//! from the same two closures: what to ask ([`Asked`]: the function's path
//! and its arguments URL-encoded, with what `source` tracks), and one call
//! that asks it. Reading one ([`ServerResource`] awaited) decodes the answer
//! into its type: only that, and encoding the arguments, are compiled per
//! resource. On the server, where size does not matter, a resource calls its
//! function's body directly.

use crate::error::AppError;
use codee::binary::PostcardCodec;
use leptos::{prelude::*, server_fn::ServerFn};
use serde::{de::DeserializeOwned, Serialize};
use std::{future::Future, marker::PhantomData, pin::Pin};

/// What every resource holds: a server function's answer in postcard (as
/// the function answered it), or its refusal. Carried from the server's
/// render to the browser in postcard too.
type Carried = Result<Vec<u8>, AppError>;

/// The answers of a server function whose answer is a `T`, loaded as a
/// resource; `.await` it for `Result<T, AppError>`.
pub struct ServerResource<T> {
    carried: Resource<Carried, PostcardCodec>,
    answer: PhantomData<fn() -> T>,
}

impl<T> Clone for ServerResource<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ServerResource<T> {}

impl<T: DeserializeOwned + 'static> std::future::IntoFuture for ServerResource<T> {
    type Output = Result<T, AppError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        let carried = self.carried.into_future();
        Box::pin(async move { carried.await.and_then(|bytes| crate::call::decode(bytes.into())) })
    }
}

/// A resource that calls server function `F` with the arguments `args`
/// makes of `source`: on the server while the page renders, and in the
/// browser again whenever `source` changes.
#[track_caller]
pub fn server_resource<F, S>(
    source: impl Fn() -> S + Send + Sync + 'static,
    args: impl Fn(S) -> F + Send + Sync + 'static,
) -> ServerResource<F::Output>
where
    F: ServerFn<Error = AppError> + Serialize + Send + 'static,
    F::Output: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Serialize + Send + Sync + Clone + PartialEq + 'static,
{
    #[cfg(feature = "ssr")]
    let carried = Resource::new_with_options(source, move |source| crate::call::fetch(args(source)), false);
    #[cfg(not(feature = "ssr"))]
    let carried = asking(Box::new(move || Asked::new(F::PATH, source(), &args)));
    ServerResource {
        carried,
        answer: PhantomData,
    }
}

/// What a resource asks in the browser: which server function, with which
/// arguments (URL-encoded), and what its source tracked (in postcard: a
/// change asks again even when the arguments are the same, as after a form
/// saved).
#[cfg(not(feature = "ssr"))]
#[derive(Clone, PartialEq)]
struct Asked {
    path: &'static str,
    body: Result<String, String>,
    source: Vec<u8>,
}

#[cfg(not(feature = "ssr"))]
impl Asked {
    fn new<S: Serialize, F: Serialize>(path: &'static str, source: S, args: &impl Fn(S) -> F) -> Asked {
        let tracked = <PostcardCodec as codee::Encoder<S>>::encode(&source).unwrap_or_default();
        Asked {
            path,
            // Only `source` is tracked, as Leptos's resources track only it.
            body: untrack(|| serde_qs::to_string(&args(source))).map_err(|e| e.to_string()),
            source: tracked,
        }
    }
}

/// The one way a resource is made in the browser: `asked` says what to ask,
/// and [`ask`] asks it.
#[cfg(not(feature = "ssr"))]
#[track_caller]
fn asking(asked: Box<dyn Fn() -> Asked + Send + Sync>) -> Resource<Carried, PostcardCodec> {
    Resource::new_with_options(asked, ask, false)
}

/// Calls the server function `asked` names: its answer, or its refusal.
#[cfg(not(feature = "ssr"))]
fn ask(asked: Asked) -> impl Future<Output = Carried> + Send + 'static {
    #[cfg(feature = "hydrate")]
    {
        send_wrapper::SendWrapper::new(async move {
            let body = asked.body.map_err(|e| {
                use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
                AppError::from_server_fn_error(ServerFnErrorErr::Serialization(e))
            })?;
            Ok(crate::call::post(asked.path, body).await?.to_vec())
        })
    }
    // A build for neither side (`cargo check` alone) has no way to call.
    #[cfg(not(feature = "hydrate"))]
    {
        std::future::ready(Err(AppError::Transport(format!(
            "this build cannot call {}",
            asked.path
        ))))
    }
}

//! Data a page loads from its server functions, as resources: one kind
//! for every page, so the browser decodes all of it with one small decoder.

use crate::{call::call, error::AppError};
use leptos::{prelude::*, server_fn::ServerFn};
use serde::{de::DeserializeOwned, Serialize};

/// A resource carried from the server's render to the browser in postcard,
/// as server functions answer ([`crate::api`]): an island's data is decoded
/// by the same small decoder, never by serde_json.
pub type ServerResource<T> = Resource<T, codee::binary::PostcardCodec>;

/// A resource that calls server function `F` with the arguments `args`
/// makes of `source`: on the server while the page renders, and in the
/// browser again whenever `source` changes ([`call`]: one copy of the
/// request code for every resource).
#[track_caller]
pub fn server_resource<F, S>(
    source: impl Fn() -> S + Send + Sync + 'static,
    args: impl Fn(S) -> F + Send + Sync + 'static,
) -> ServerResource<Result<F::Output, AppError>>
where
    F: ServerFn<Error = AppError> + Serialize + Send + 'static,
    F::Output: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
{
    Resource::new_with_options(source, move |source| call(args(source)), false)
}

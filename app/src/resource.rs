//! Data a page loads from its server functions, as resources: one kind
//! for every page, so the browser decodes all of it with one small decoder.

use leptos::prelude::*;

/// A resource carried from the server's render to the browser in postcard,
/// as server functions answer ([`crate::api`]): an island's data is decoded
/// by the same small decoder, never by serde_json.
pub type ServerResource<T> = Resource<T, codee::binary::PostcardCodec>;

/// [`Resource::new`] for a [`ServerResource`]: loads on the server while the
/// page renders, and in the browser again whenever `source` changes.
#[track_caller]
pub fn server_resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> ServerResource<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

//! How a page calls its server functions: one copy of the request code for
//! all of them.
//!
//! server_fn's own client is generic over the function: building the
//! request, sending it and reading the answer were compiled into the client
//! once per server function a resource loads (about 3 KB of WASM each, in
//! its future). Here a call is the function's arguments URL-encoded, posted
//! by one [`post`], and only decoding the answer depends on the function:
//! what forms do (`components::ServerForm`) and resources
//! (`resource::server_resource`). On the server a resource runs the
//! function's body ([`fetch`]), as server_fn's own call does there.

use crate::error::AppError;
#[cfg(feature = "ssr")]
use leptos::server_fn::ServerFn;
use leptos::server_fn::{
    codec::PostcardEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
    Bytes, Decodes,
};
use serde::de::DeserializeOwned;

/// Runs server function `S` with `args` on the server: its answer in
/// postcard, as the browser would get it (decoded by the caller,
/// [`decode`]), or its refusal.
#[cfg(feature = "ssr")]
pub async fn fetch<S>(args: S) -> Result<Vec<u8>, AppError>
where
    S: ServerFn<Error = AppError>,
    S::Output: serde::Serialize,
{
    let answer = args.run_body().await?;
    <PostcardEncoding as leptos::server_fn::Encodes<S::Output>>::encode(&answer)
        .map(|bytes| bytes.to_vec())
        .map_err(|e| AppError::from_server_fn_error(ServerFnErrorErr::Serialization(e.to_string())))
}

/// A server function's answer, from postcard.
pub fn decode<T: DeserializeOwned>(bytes: Bytes) -> Result<T, AppError> {
    <PostcardEncoding as Decodes<T>>::decode(bytes)
        .map_err(|e| AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(e.to_string())))
}

/// Posts `body` (URL-encoded fields) to the server function at `path` and
/// reads its answer the way server_fn's own client does: the body of a
/// success (decoded by the caller), the refusal, a redirect followed.
#[cfg(feature = "hydrate")]
pub async fn post(path: &str, body: String) -> Result<Bytes, AppError> {
    use leptos::server_fn::{
        client::{browser::BrowserClient, Client},
        codec::PostUrl,
        request::{browser::BrowserRequest, ClientReq},
        response::ClientRes,
        ContentType,
    };
    let request = <BrowserRequest as ClientReq<AppError>>::try_new_post(
        path,
        PostUrl::CONTENT_TYPE,
        PostcardEncoding::CONTENT_TYPE,
        body,
    )?;
    let response = <BrowserClient as Client<AppError>>::send(request).await?;
    let status = ClientRes::<AppError>::status(&response);
    let redirect = (300..=399).contains(&status) || ClientRes::<AppError>::has_redirect(&response);
    let location = ClientRes::<AppError>::location(&response);
    let bytes = ClientRes::<AppError>::try_into_bytes(response).await?;
    let answer = if (400..=599).contains(&status) {
        Err(AppError::de(bytes))
    } else {
        Ok(bytes)
    };
    if redirect {
        let _ = leptos::prelude::window().location().set_href(&location);
    }
    answer
}

//! How a page calls its server functions: one copy of the request code for
//! all of them.
//!
//! server_fn's own client is generic over the function: building the
//! request, sending it and reading the answer were compiled into the client
//! once per server function a resource loads (about 3 KB of WASM each, in
//! its future). Here a call is the function's arguments URL-encoded, posted
//! by one [`post`], and only decoding the answer depends on the function:
//! what forms do ([`crate::components::ServerForm`]) and resources
//! ([`crate::resource::server_resource`]). On the server a call runs the
//! function's body, as server_fn's own call does there.

use crate::error::AppError;
use leptos::server_fn::{
    codec::PostcardEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
    Bytes, Decodes, ServerFn,
};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// Calls server function `S` with `args`: its answer, or its refusal.
pub fn call<S>(args: S) -> impl Future<Output = Result<S::Output, AppError>> + Send + 'static
where
    S: ServerFn<Error = AppError> + Serialize + Send + 'static,
    S::Output: DeserializeOwned + Send + 'static,
{
    #[cfg(feature = "ssr")]
    {
        args.run_body()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        let body = serde_qs::to_string(&args);
        send_wrapper::SendWrapper::new(async move {
            let body =
                body.map_err(|e| AppError::from_server_fn_error(ServerFnErrorErr::Serialization(e.to_string())))?;
            decode(post(S::PATH, body).await?)
        })
    }
    // A build for neither side (`cargo check` alone) has no way to call.
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = args;
        std::future::ready(Err(AppError::Transport("this build calls no server".into())))
    }
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

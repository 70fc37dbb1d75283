//! Islands, with their props in postcard: [`island!`].
//!
//! Leptos's `#[island]` writes an island's props into the page as JSON and
//! reads them back in the browser with serde_json: its parser, its error
//! messages (with float formatting) and a decoder per props type, the last
//! JSON left in the client once server functions and resources answered in
//! postcard. Here an island is a plain component wrapped the way `#[island]`
//! wraps it (its own reactive owner, hydrating, in a `<leptos-island>`), and
//! its props travel in postcard, base64 in `data-props`, as Leptos carries a
//! resource's bytes. The browser decodes them with the same small decoder as
//! everything else it reads.
//!
//! The hydrating function each island exports is named after the island;
//! the page's loader (`ssr/client_loader.js`) calls it for every
//! `<leptos-island data-component=…>`.

use leptos::{
    prelude::*,
    tachys::{html::islands::Island, reactive_graph::OwnedView},
};
use serde::Serialize;

/// An island: `fn Name(props…) -> impl IntoView { body }` becomes a
/// component of that name (used in `view!` like any other), rendered in the
/// page and hydrated in the browser from its props. Each prop must be
/// serde-serializable.
macro_rules! island {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident( $( $(#[$prop_meta:meta])* $prop:ident : $ty:ty ),* $(,)? ) -> impl IntoView $body:block
    ) => {
        /// The island's props as they travel in the page, and its view.
        #[allow(non_snake_case)]
        #[doc(hidden)]
        $vis mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[derive(::serde::Serialize, ::serde::Deserialize)]
            pub struct Props {
                $( pub $prop: $ty, )*
            }

            pub fn render(Props { $($prop),* }: Props) -> impl IntoView $body

            /// Hydrates this island's `<leptos-island>` element.
            #[cfg(feature = "hydrate")]
            #[::leptos::wasm_bindgen::prelude::wasm_bindgen(wasm_bindgen = ::leptos::wasm_bindgen, js_name = $name)]
            pub fn hydrate(element: ::leptos::web_sys::HtmlElement) {
                $crate::island::hydrate(element, render)
            }
        }

        $(#[$meta])*
        #[::leptos::component]
        $vis fn $name( $( $(#[$prop_meta])* $prop: $ty ),* ) -> impl IntoView {
            $crate::island::island_view(stringify!($name), $name::Props { $($prop),* }, $name::render)
        }
    };
}
pub(crate) use island;

/// The view of island `name`: `render(props)` in its own reactive owner,
/// hydrating, inside `<leptos-island>` (on the server, with its props).
pub fn island_view<P, V>(name: &'static str, props: P, render: fn(P) -> V) -> impl IntoView
where
    P: Serialize + 'static,
    V: IntoView + 'static,
{
    #[cfg(feature = "ssr")]
    let encoded = {
        use codee::{binary::PostcardCodec, Encoder};
        use leptos::server::IntoEncodedString;
        <PostcardCodec as Encoder<P>>::encode(&props)
            .expect("island props are serializable")
            .into_encoded_string()
    };
    let view = Owner::new().with(|| {
        Owner::with_hydration(move || {
            island_ready();
            OwnedView::new(render(props))
        })
    });
    let island = Island::new(name, view);
    #[cfg(feature = "ssr")]
    let island = island.with_props(encoded);
    island
}

/// Hydrates `element`, an island rendered by [`island_view`], with `render` and
/// the props the server wrote into it.
#[cfg(feature = "hydrate")]
pub fn hydrate<P, V>(element: leptos::web_sys::HtmlElement, render: fn(P) -> V)
where
    P: Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    use codee::{binary::PostcardCodec, Decoder};
    use leptos::{
        server::FromEncodedStr,
        tachys::view::{Position, RenderHtml},
    };
    let encoded = element.dataset().get("props").unwrap_or_default();
    let props = <[u8]>::from_encoded_str(&encoded)
        .ok()
        .and_then(|bytes| <PostcardCodec as Decoder<P>>::decode(&bytes).ok())
        .expect("the island's props are readable");
    // The name is only written by the server.
    let view = untrack(|| island_view("", props, render));
    let state = view.hydrate_from_position::<true>(&element, Position::Current);
    // The island lives as long as the page.
    std::mem::forget(state);
}

/// The first thing every island does. On the server: the page needs the
/// client (only pages with islands load it, `ssr::client`). In the browser:
/// counts this island on `<body data-islands-ready>` once it has hydrated,
/// so browser tests can wait for every island on a page.
fn island_ready() {
    #[cfg(feature = "ssr")]
    crate::ssr::client::needs_client();
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let ready = body
                .get_attribute("data-islands-ready")
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0);
            let _ = body.set_attribute("data-islands-ready", &(ready + 1).to_string());
        }
    });
}

//! The Content-Security-Policy: only the app's own scripts, styles and
//! WASM; an inline script runs only with the page's nonce (its hydration
//! loader and data). The server's edge makes the nonce for each request and
//! writes the header; the render only reads the nonce ([`provide_page_nonce`]),
//! so the header never depends on what a render sets in its response options.

use leptos::prelude::use_context;

pub fn content_security_policy(nonce: Option<&str>) -> String {
    let inline = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// The nonce of one page's inline scripts, made by the server's edge for
/// each request (as the request's extension) before the page renders, so
/// the edge can put it in the CSP header whatever the render does with its
/// response options.
#[derive(Clone, Debug)]
pub struct PageNonce(pub std::sync::Arc<str>);

impl PageNonce {
    /// 128 random bits, unpadded base64url, as Leptos makes its own: from
    /// the thread's CSPRNG (seeded by the OS), cheap enough for every request.
    pub fn new() -> PageNonce {
        use base64::Engine;
        use rand::RngCore;
        let mut bytes = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut bytes);
        PageNonce(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes).into())
    }
}

impl Default for PageNonce {
    fn default() -> Self {
        PageNonce::new()
    }
}

/// Gives the page being rendered the edge's nonce (Leptos's hydration
/// scripts carry it). Runs as the render's additional context, after Leptos
/// provided its own nonce, which this replaces.
pub fn provide_page_nonce() {
    let nonce = use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(value)) = nonce {
        leptos::prelude::provide_context(leptos::nonce::Nonce::from_value(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_own_code_and_no_framing() {
        let page = content_security_policy(Some("abc123"));
        assert!(
            page.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"),
            "{page}"
        );
        assert!(page.contains("frame-ancestors 'none'") && page.contains("style-src 'self';"));
        assert!(!page.contains("unsafe-inline"));
        assert!(content_security_policy(None).contains("script-src 'self' 'wasm-unsafe-eval';"));
    }
}

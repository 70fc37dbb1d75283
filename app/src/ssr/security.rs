//! The Content-Security-Policy: only the app's own scripts, styles and
//! WASM; an inline script runs only with the nonce Leptos gives the page it
//! renders (its hydration loader). Pages set it while rendering (they know
//! the nonce); every other response gets it without a nonce from the
//! server's header middleware.

use leptos::prelude::use_context;

pub fn content_security_policy(nonce: Option<&str>) -> String {
    let inline = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the page's CSP, with this render's nonce. Call while rendering.
pub fn set_page_policy() {
    let (Some(nonce), Some(options)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(Some(&nonce))) {
        options.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
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

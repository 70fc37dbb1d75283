//! Which pages load the client: only those that show an island.
//!
//! Leptos's `HydrationScripts` puts the client's scripts into `<head>`,
//! which renders before the page's body, so every page downloaded the whole
//! client (~316 KB brotli), even the home page, which has nothing to
//! hydrate. Here the first island a page renders ([`needs_client`], from
//! `island::island_view`) adds the loader and the preload hints to
//! `<head>` through leptos_meta, which fills `<head>` once the page is
//! rendered (every page renders whole before its answer starts,
//! `SsrMode::Async`). A page without islands loads no client at all.

use leptos::{config::LeptosOptions, prelude::*};
use leptos_meta::{Link, Script};
use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

/// The loader, an inline module script (it runs once the page is parsed):
/// imports the JS glue, instantiates the WASM, then hydrates every
/// `<leptos-island>` through the client's export of that island's name.
/// Called with the client's directory and file names. Islands do not nest in
/// this app, so it needs none of Leptos's loader's walk for nested islands,
/// nor its wait for an idle moment: the files are already preloading.
const LOADER: &str = include_str!("client_loader.js");

/// The client's file names as built, read once when the server starts.
#[derive(Debug)]
pub struct ClientFiles {
    /// Where the files are served, as a path (`/pkg`).
    pkg: String,
    /// The JS glue and the WASM, by file name.
    js: String,
    wasm: String,
}

impl ClientFiles {
    /// The names Leptos's `HydrationScripts` would use: with content-hashed
    /// names (`LEPTOS_HASH_FILES`), the hashes in the hash file cargo-leptos
    /// writes beside the server binary.
    pub fn load(options: &LeptosOptions) -> ClientFiles {
        let output = &options.output_name;
        let mut hashes = FileHashes::default();
        if options.hash_files {
            let hash_file = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(|dir| dir.join(options.hash_file.as_ref())));
            if let Some(text) = hash_file.and_then(|path| std::fs::read_to_string(path).ok()) {
                hashes = FileHashes::parse(&text);
            }
        }
        let js = match &hashes.js {
            Some(hash) => format!("{output}.{hash}.js"),
            None => format!("{output}.js"),
        };
        let wasm = match &hashes.wasm {
            Some(hash) => format!("{output}.{hash}.wasm"),
            // cargo-leptos names the WASM after the output when it builds
            // the server (the tests set the same variable); wasm-bindgen's
            // own name ends in `_bg`.
            None if option_env!("LEPTOS_OUTPUT_NAME").is_some() => format!("{output}.wasm"),
            None => format!("{output}_bg.wasm"),
        };
        ClientFiles {
            pkg: format!("/{}", options.site_pkg_dir),
            js,
            wasm,
        }
    }
}

/// The hashes in cargo-leptos's hash file (`js: <hash>`, `wasm: <hash>`).
#[derive(Debug, Default, PartialEq)]
struct FileHashes {
    js: Option<String>,
    wasm: Option<String>,
}

impl FileHashes {
    fn parse(text: &str) -> FileHashes {
        let mut hashes = FileHashes::default();
        for (kind, hash) in text.lines().filter_map(|line| line.split_once(':')) {
            let hash = Some(hash.trim().to_string());
            match kind.trim() {
                "js" => hashes.js = hash,
                "wasm" => hashes.wasm = hash,
                _ => {}
            }
        }
        hashes
    }
}

/// One page's view of the client: the files, and whether the page has asked
/// for them yet.
#[derive(Clone)]
pub struct PageClient {
    files: Arc<ClientFiles>,
    added: Arc<AtomicBool>,
}

/// Gives the page being rendered its [`PageClient`] (the render's
/// additional context, with the nonce).
pub fn provide_page_client(files: Arc<ClientFiles>) {
    provide_context(PageClient {
        files,
        added: Default::default(),
    });
}

/// An island is on the page: with the first, the preload hints and the
/// loader go into `<head>`.
pub fn needs_client() {
    let Some(page) = use_context::<PageClient>() else {
        return;
    };
    if page.added.swap(true, Ordering::Relaxed) {
        return;
    }
    let ClientFiles { pkg, js, wasm } = &*page.files;
    let start = format!("({LOADER})({}, {}, {})", js_string(pkg), js_string(js), js_string(wasm));
    // `to_html` on leptos_meta's components registers them for `<head>`; the
    // script gets the page's nonce.
    _ = view! {
        <Link rel="modulepreload" href=format!("{pkg}/{js}") crossorigin="anonymous" />
        <Link rel="preload" href=format!("{pkg}/{wasm}") as_="fetch" type_="application/wasm" crossorigin="anonymous" />
        <Script type_="module">{start}</Script>
    }
    .to_html();
}

/// `text` as a JS string literal (JSON's string syntax is JS's).
fn js_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_read_from_cargo_leptos_hash_file() {
        let hashes = FileHashes::parse("js: AAA\nwasm: BBB\ncss: CCC\n");
        assert_eq!(
            hashes,
            FileHashes {
                js: Some("AAA".into()),
                wasm: Some("BBB".into())
            }
        );
        assert_eq!(FileHashes::parse(""), FileHashes::default());
    }

    #[test]
    fn names_become_js_string_literals() {
        assert_eq!(js_string("/pkg"), "\"/pkg\"");
        assert_eq!(js_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}

//! What a Git-over-HTTP path may ask for: `<repository>.git` followed by
//! one of the paths Git's own `http-backend` serves, and nothing else.
//!
//! Authorization runs for the repository named here; the backend then gets
//! this repository's directory and this exact path. Anything that could
//! reach another repository (`..` in any spelling, extra slashes, a
//! different `.git` directory) is not a Git path, so it is refused before
//! authorization, let alone before Git runs.

use crate::validate;

/// A Git request: the repository (its slug as stored: lower case) and the
/// path inside it, one of [`is_service_path`]'s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitPath {
    pub repository: String,
    pub path: String,
}

/// Reads what follows `/scm/<workspace>/` (already percent-decoded).
pub fn parse(rest: &str) -> Option<GitPath> {
    // The `.git` that ends the repository is the first one followed by `/`
    // or the end: a slug may contain `.git` in its middle (`docs.github`).
    let at = rest
        .match_indices(".git")
        .map(|(i, _)| i)
        .find(|&i| rest[i + 4..].is_empty() || rest[i + 4..].starts_with('/'))?;
    let (slug, path) = (&rest[..at], &rest[at + 4..]);
    if slug.contains('/') {
        return None;
    }
    let repository = validate::repository_slug(slug).ok()?;
    // Only what a client may name exactly as stored: no trimming, no case.
    if repository != slug.to_ascii_lowercase() || slug.trim() != slug {
        return None;
    }
    is_service_path(path).then(|| GitPath {
        repository,
        path: path.to_string(),
    })
}

/// The paths `git http-backend` answers: the smart protocol's three, and
/// the files the dumb protocol reads (refs, objects by their hash, packs).
pub fn is_service_path(path: &str) -> bool {
    let hex = |s: &str, lengths: &[usize]| lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit());
    match path {
        "/info/refs"
        | "/git-upload-pack"
        | "/git-receive-pack"
        | "/HEAD"
        | "/objects/info/alternates"
        | "/objects/info/http-alternates"
        | "/objects/info/packs" => true,
        _ => {
            if let Some(object) = path.strip_prefix("/objects/") {
                if let Some((dir, file)) = object.split_once('/') {
                    // SHA-1 (40) or SHA-256 (64) object names.
                    if hex(dir, &[2]) && hex(file, &[38, 62]) {
                        return true;
                    }
                }
                if let Some(pack) = object.strip_prefix("pack/pack-") {
                    if let Some(name) = pack.strip_suffix(".pack").or_else(|| pack.strip_suffix(".idx")) {
                        return hex(name, &[40, 64]);
                    }
                }
            }
            false
        }
    }
}

/// A push (`git-receive-pack`) needs write; everything else reads.
pub fn is_push(path: &str, query: &str) -> bool {
    path == "/git-receive-pack" || query.split('&').any(|p| p == "service=git-receive-pack")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn git(repository: &str, path: &str) -> Option<GitPath> {
        Some(GitPath {
            repository: repository.into(),
            path: path.into(),
        })
    }

    #[test]
    fn finds_the_repository_and_the_service() {
        assert_eq!(parse("website.git/info/refs"), git("website", "/info/refs"));
        assert_eq!(parse("website.git/git-upload-pack"), git("website", "/git-upload-pack"));
        assert_eq!(parse("Website.git/HEAD"), git("website", "/HEAD"));
        // `.git` inside a slug is part of the slug.
        assert_eq!(parse("docs.github.git/info/refs"), git("docs.github", "/info/refs"));
        assert_eq!(parse("my.git.tools.git/info/refs"), git("my.git.tools", "/info/refs"));
        let object = format!("/objects/ab/{}", "c".repeat(38));
        assert_eq!(parse(&format!("website.git{object}")), git("website", &object));
        let pack = format!("/objects/pack/pack-{}.idx", "0".repeat(40));
        assert_eq!(parse(&format!("website.git{pack}")), git("website", &pack));
    }

    #[test]
    fn nothing_reaches_another_repository() {
        for bad in [
            "website.git/../design-system.git/info/refs",
            "website.git/objects/../../design-system.git/info/refs",
            "website.git/info/refs/../../../design-system.git/HEAD",
            "website.git/./info/refs",
            "website.git//info/refs",
            "website.git/info/refs/",
            "../design-system.git/info/refs",
            "a/b.git/info/refs",
            ".git/info/refs",
            "website.gitx/info/refs",
            "website/info/refs",
            "website.git",
            "website.git/config",
            "website.git/objects/ab/xyz",
            "website.git/objects/pack/pack-../../x.pack",
            " website.git/info/refs",
            "web site.git/info/refs",
            "website.git/info/refs\0",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn knows_a_push_from_a_fetch() {
        assert!(is_push("/info/refs", "service=git-receive-pack"));
        assert!(is_push("/git-receive-pack", ""));
        assert!(!is_push("/info/refs", "service=git-upload-pack"));
        assert!(!is_push("/git-upload-pack", ""));
    }

    proptest! {
        // Whatever is accepted names a valid slug and a path without `..`.
        #[test]
        fn accepted_paths_are_safe(s in "[a-zA-Z0-9._/%-]{0,80}") {
            if let Some(g) = parse(&s) {
                prop_assert!(validate::repository_slug(&g.repository).is_ok());
                prop_assert!(!g.path.contains("..") && !g.path.contains("//"));
                prop_assert!(is_service_path(&g.path));
            }
        }
    }
}

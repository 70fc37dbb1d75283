//! The bare Git repository behind each repository, under the Git directory
//! as `<workspace>/<repository>.git`. Made when the repository is created,
//! and on first Git use for any that lack one (made before Git was served,
//! or whose creation on disk failed).

use crate::error::AppError;
use std::path::{Path, PathBuf};

/// Where a repository's bare Git repository lives, relative to the root.
pub fn relative_path(workspace: &str, slug: &str) -> String {
    format!("{}/{}.git", workspace.to_lowercase(), slug.to_lowercase())
}

/// Makes the bare repository (default branch `main`) unless it exists.
pub async fn ensure(root: &Path, workspace: &str, slug: &str) -> Result<PathBuf, AppError> {
    let path = root.join(relative_path(workspace, slug));
    if path.join("HEAD").exists() {
        return Ok(path);
    }
    let status = tokio::process::Command::new("git")
        .args(["init", "--bare", "--quiet", "--initial-branch=main"])
        .arg(&path)
        .status()
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "cannot run git init (is git installed?)");
            AppError::Internal
        })?;
    if !status.success() {
        tracing::error!(path = %path.display(), "git init --bare failed");
        return Err(AppError::Internal);
    }
    Ok(path)
}

/// After a repository is created: make its Git repository now. A failure is
/// logged, not returned — the repository exists, and Git's first use retries.
pub async fn create_for(root: &Path, workspace: &str, slug: &str) {
    if let Err(e) = ensure(root, workspace, slug).await {
        tracing::warn!(error = %e, workspace, slug, "bare Git repository not created yet; first Git use will");
    }
}

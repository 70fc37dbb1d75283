//! Git over HTTP(S): `/scm/<workspace>/<repository>.git/…`, served by Git's
//! own `git http-backend` (CGI) from the bare repository of each repository
//! (see `app::ssr::git_repos`). Access tokens authenticate:
//! HTTP Basic with the token as password (what Git sends), or Bearer; so do
//! legacy app passwords (Basic with the username) until their cutoff.
//! Fetching needs read access to the repository, pushing needs write.
//!
//! Refusals are `text/plain`, which Git prints to the user as `remote: …`.

use crate::rest::{
    error::{describe, Reason, RestError},
    expiration,
    extract::Caller,
};
use app::ssr::{auth, git_repos, last_used::Channel, request::client_addr, store::workspaces, AppState};
use axum::{
    body::Body,
    extract::{Path, Request, State},
    http::{header, HeaderValue, Response, StatusCode},
    routing::any,
    Router,
};
use futures::StreamExt;
use std::{path::PathBuf, process::Stdio};
use tokenwarden::{scm, scope::Resource, Access};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    process::Command,
};
use tokio_util::io::ReaderStream;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/scm/{workspace}/{*path}", any(serve))
        .layer(axum::middleware::from_fn(expiration::announce))
}

fn text(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(format!("{message}\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn refusal(error: RestError) -> Response<Body> {
    match error {
        RestError::Unauthenticated(e) => {
            let mut response = text(StatusCode::UNAUTHORIZED, &describe(&e).1);
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Basic realm="Tokenwarden""#),
            );
            response
        }
        RestError::Forbidden(message) => text(StatusCode::FORBIDDEN, &message),
        RestError::TooManyAttempts {
            message,
            retry_after_secs,
        } => {
            let mut response = text(StatusCode::TOO_MANY_REQUESTS, &message);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
        RestError::Status { status, message, .. } => text(status, &message),
        RestError::NotFound => text(
            StatusCode::NOT_FOUND,
            "Repository not found, or this token cannot see it.",
        ),
        _ => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; try again.",
        ),
    }
}

async fn serve(
    Path((workspace, path)): Path<(String, String)>,
    State(state): State<AppState>,
    request: Request,
) -> Response<Body> {
    match authorize_and_run(&state, &workspace, &path, request).await {
        Ok(response) => response,
        Err(error) => refusal(error),
    }
}

async fn authorize_and_run(
    state: &AppState,
    workspace: &str,
    path: &str,
    request: Request,
) -> Result<Response<Body>, RestError> {
    // Only `<slug>.git` and a path Git serves: nothing that could lead
    // outside the repository authorized below reaches the backend.
    let scm::GitPath {
        repository: slug,
        path: rest,
    } = scm::parse(path).ok_or(RestError::Status {
        status: StatusCode::NOT_FOUND,
        reason: Reason::NotFound,
        message: "Not a Git path: clone https://<host>/scm/<workspace>/<repository>.git".into(),
    })?;
    let (parts, body) = request.into_parts();
    let address = client_addr(&parts);
    let principal = auth::authenticate(state, &parts.headers, &address, Channel::Git).await?;
    expiration::record(&parts, &principal);
    let caller = Caller::load(state, principal).await?;
    let ws = workspaces::find(&state.db, workspace)
        .await?
        .ok_or(RestError::NotFound)?;
    let (repository_id, project_id) = workspaces::repository_ids(&state.db, ws.id, &slug)
        .await?
        .ok_or(RestError::NotFound)?;
    let place = Resource::Repository {
        workspace_id: ws.id,
        project_id,
        repository_id,
    };
    let query = parts.uri.query().unwrap_or_default().to_string();
    let push = scm::is_push(&rest, &query);
    let grants = caller.grants(state, ws.id).await?;
    if push {
        caller.require(grants.as_ref(), place, Access::Write, "Pushing to this repository")?;
    } else {
        caller.require(grants.as_ref(), place, Access::Read, "Reading this repository")?;
    }

    let root: PathBuf = state.git_root.as_ref().clone();
    let relative = git_repos::relative_path(&ws.slug, &slug);
    git_repos::ensure(&root, &ws.slug, &slug).await?;

    let header = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut command = Command::new("git");
    command
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", &root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("PATH_INFO", format!("/{relative}{rest}"))
        .env("REQUEST_METHOD", parts.method.as_str())
        .env("QUERY_STRING", &query)
        .env("CONTENT_TYPE", header(header::CONTENT_TYPE))
        .env("HTTP_CONTENT_ENCODING", header(header::CONTENT_ENCODING))
        .env("GIT_PROTOCOL", header(header::HeaderName::from_static("git-protocol")))
        .env("REMOTE_USER", caller.label())
        .env("REMOTE_ADDR", &address)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(length) = parts.headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()) {
        command.env("CONTENT_LENGTH", length);
    }
    let mut child = command.spawn().map_err(|e| {
        tracing::error!(error = %e, "cannot run git http-backend (is git installed?)");
        RestError::Internal
    })?;

    // The request body goes to the backend while its answer streams back.
    let mut stdin = child.stdin.take().expect("piped");
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        while let Some(Ok(chunk)) = stream.next().await {
            if stdin.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::warn!(%line, "git http-backend");
        }
        let _ = child.wait().await;
    });

    // CGI: header lines, a blank line, then the body.
    let mut stdout = BufReader::new(stdout);
    let mut response = Response::new(Body::empty());
    loop {
        let mut line = String::new();
        let read = stdout.read_line(&mut line).await.map_err(|_| RestError::Internal)?;
        let line = line.trim_end_matches(['\r', '\n']);
        if read == 0 || line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse().ok());
            *response.status_mut() = code
                .and_then(|c| StatusCode::from_u16(c).ok())
                .unwrap_or(StatusCode::OK);
        } else if let (Ok(name), Ok(value)) = (header::HeaderName::try_from(name), HeaderValue::from_str(value)) {
            response.headers_mut().append(name, value);
        }
    }
    *response.body_mut() = Body::from_stream(ReaderStream::new(stdout));
    Ok(response)
}

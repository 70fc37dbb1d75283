//! Hostile input at every edge of the real binary: every server function
//! (from Leptos's registry), every REST operation (from the served OpenAPI
//! document), Git and pages get malformed bodies, wrong types, huge and
//! negative numbers, overlong strings, invalid UTF-8, control characters,
//! duplicate and oversized headers. Requests go over a raw socket, so no
//! client tidies them up. Every answer must be a 4xx with a message (never
//! a 5xx), and the server's log must show no panic.

use crate::{
    cli::{create_admin, database_env, free_port, started, tokenwarden},
    common::{self, raw_request, Backend, Client},
};
use app::model::CreatedToken;
use std::{collections::BTreeMap, process::Stdio};
use tokenwarden::credentials::basic_header;

const PASSWORD: &str = "a bad input passphrase";

/// Whether a body says something (a chunked body's framing aside).
fn has_message(body: &str) -> bool {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.chars().all(|c| c.is_ascii_hexdigit()))
        .any(|l| l.chars().any(char::is_alphabetic))
}

struct Sweep {
    host: String,
    statuses: BTreeMap<u16, usize>,
    failures: Vec<String>,
}

impl Sweep {
    /// Sends the request; it must get a 4xx with a message (or, when
    /// `may_succeed`, anything but a 5xx).
    async fn expect_4xx(
        &mut self,
        what: &str,
        method: &str,
        path: &[u8],
        headers: &[(&str, &[u8])],
        body: &[u8],
        may_succeed: bool,
    ) {
        let answer = raw_request(&self.host, method, path, headers, body).await;
        *self.statuses.entry(answer.status).or_insert(0) += 1;
        let client_error = (400..500).contains(&answer.status);
        let ok = if client_error {
            has_message(&answer.body)
        } else {
            may_succeed && (200..400).contains(&answer.status)
        };
        if !ok {
            self.failures.push(format!(
                "{what}: {method} {} -> {} {:?}",
                String::from_utf8_lossy(&path[..path.len().min(120)]),
                answer.status,
                answer.body.chars().take(160).collect::<String>()
            ));
        }
    }
}

/// Form bodies that are wrong for any server function taking arguments.
fn hostile_forms() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("garbage", b"%%%=%%%&&=".to_vec()),
        (
            "wrong types, huge and negative numbers, control characters",
            b"id=abc&name=%00%07&workspace=..%2F..&expiry=99999999999999999999&utc_offset_minutes=-99999999999&max_days=-1"
                .to_vec(),
        ),
        ("duplicate fields", b"name=a&name=b&id=1&id=2".to_vec()),
        ("an overlong string", format!("name={}", "a".repeat(60 * 1024)).into_bytes()),
    ]
}

/// Form bodies every server function must refuse, arguments or not.
fn always_refused_forms() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("invalid UTF-8", b"name=%FF%FE&identifier=%C3%28".to_vec()),
        ("too large", format!("name={}", "a".repeat(70 * 1024)).into_bytes()),
    ]
}

/// JSON bodies every REST operation that takes one must refuse: the
/// hostile value sits in every field any operation reads (`name`, `slug`,
/// `permissions`, `expiryDays`), since an operation ignores fields it does
/// not take, as Bitbucket's API does.
fn hostile_json() -> Vec<(&'static str, Vec<u8>)> {
    let everywhere = |value: &str| {
        format!(r#"{{"name":{value},"slug":{value},"permissions":{value},"expiryDays":{value}}}"#).into_bytes()
    };
    vec![
        ("malformed JSON", b"{".to_vec()),
        ("an array", b"[]".to_vec()),
        ("a bare string", br#""name""#.to_vec()),
        ("wrong types", everywhere("{}")),
        ("a huge number", everywhere("1e400")),
        ("a number past u64", everywhere("18446744073709551616")),
        ("a negative number", everywhere("-1")),
        ("control characters", everywhere(r#""a\u0000b\u0007""#)),
        (
            "invalid UTF-8",
            b"{\"name\":\"\xff\xfe\",\"slug\":\"\xff\",\"permissions\":[\"REPO_READ\"]}".to_vec(),
        ),
        ("an overlong string", everywhere(&format!("\"{}\"", "a".repeat(15_000)))),
        (
            "too large",
            format!("{{\"name\":\"{}\"}}", "a".repeat(100 * 1024)).into_bytes(),
        ),
    ]
}

/// Token bodies whose `expiryDays` alone is wrong.
fn hostile_expiry() -> Vec<(&'static str, Vec<u8>)> {
    [
        "1e400",
        "18446744073709551616",
        "-1",
        "0",
        "99999",
        "\"30\"",
        "30.5",
        "[30]",
    ]
    .into_iter()
    .map(|days| {
        (
            "a bad expiryDays",
            format!(r#"{{"name":"ci","permissions":["REPO_READ"],"expiryDays":{days}}}"#).into_bytes(),
        )
    })
    .collect()
}

/// Authorization headers that are never credentials.
fn hostile_authorizations() -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let token_shaped = format!("Bearer tww_{}", "A".repeat(39));
    vec![
        ("no credentials", vec![]),
        (
            "two Authorization headers",
            vec![b"Bearer x".to_vec(), b"Basic YTpi".to_vec()],
        ),
        (
            "an oversized Authorization header",
            vec![format!("Bearer {}", "a".repeat(8192)).into_bytes()],
        ),
        ("bytes that are not text", vec![b"Bearer \xff\xfe\xfd".to_vec()]),
        ("Basic that is not base64", vec![b"Basic !!!not base64!!!".to_vec()]),
        ("a made-up token", vec![token_shaped.into_bytes()]),
        (
            // 43 bytes with a two-byte character where the checksum starts:
            // the token checker used to panic on it (found by fuzzing).
            "a token-sized password that is not ASCII",
            vec![basic_header("x-token-auth", &format!("tww_{}é{}", "A".repeat(32), "A".repeat(5))).into_bytes()],
        ),
        ("an unknown scheme", vec![b"Negotiate abc".to_vec()]),
    ]
}

async fn sweep_everything(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let database = common::fresh_database(backend, dir.path()).await;
    assert!(create_admin(&database, "ops", PASSWORD).status.success());
    let port = free_port();
    let host = format!("127.0.0.1:{port}");
    let base = format!("http://{host}");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = tokenwarden();
    database_env(&mut cmd, &database);
    cmd.env("RUST_LOG", "info")
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log));
    let mut server = started(cmd, port).await;

    // Something to aim at: acme/WEB/website, a token, a session.
    let ops = Client::new(&base);
    ops.call::<()>("login", &[("identifier", "ops"), ("password", PASSWORD)])
        .await
        .unwrap();
    common::create_acme_website(&ops).await;
    let token: CreatedToken = ops
        .call(
            "create_token",
            &[
                ("kind", "personal"),
                ("name", "everything"),
                ("project_permission", "PROJECT_ADMIN"),
                ("repository_permission", "REPO_ADMIN"),
                ("account_permission", "ACCOUNT_READ"),
                ("expiry", "30"),
            ],
        )
        .await
        .unwrap();
    let bearer = format!("Bearer {}", token.secret.expose());
    let password = basic_header("ops", PASSWORD);
    let cookie = {
        // The session cookie, to send by hand.
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{base}/api/login"))
            .form(&[("identifier", "ops"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        let set = response.headers()["set-cookie"].to_str().unwrap().to_string();
        set.split(';').next().unwrap().to_string()
    };
    let mut sweep = Sweep {
        host: host.clone(),
        statuses: BTreeMap::new(),
        failures: Vec::new(),
    };
    let form = ("Content-Type", &b"application/x-www-form-urlencoded"[..]);
    let json = ("Content-Type", &b"application/json"[..]);

    // Every server function, signed in.
    let mut functions: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .filter(|path| path != "/api/logout")
        .collect();
    functions.sort();
    assert!(functions.len() > 20, "server functions found: {functions:?}");
    for path in &functions {
        let session = [form, ("Cookie", cookie.as_bytes())];
        // A function that takes no arguments has nothing to misread.
        let probe = raw_request(&host, "POST", path.as_bytes(), &session, b"").await;
        let takes_arguments = (400..500).contains(&probe.status);
        for (what, body) in hostile_forms() {
            sweep
                .expect_4xx(what, "POST", path.as_bytes(), &session, &body, !takes_arguments)
                .await;
        }
        for (what, body) in always_refused_forms() {
            sweep
                .expect_4xx(what, "POST", path.as_bytes(), &session, &body, false)
                .await;
        }
        let json_session = [json, ("Cookie", cookie.as_bytes())];
        sweep
            .expect_4xx(
                "JSON instead of a form",
                "POST",
                path.as_bytes(),
                &json_session,
                br#"{"id":1e400}"#,
                !takes_arguments,
            )
            .await;
    }
    sweep
        .expect_4xx(
            "no such function",
            "POST",
            b"/api/no_such_function",
            &[form],
            b"a=1",
            false,
        )
        .await;

    // Every REST operation in the served document.
    let document: serde_json::Value = reqwest::get(format!("{base}/rest/api/1.0/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fill = |path: &str, value: Option<&str>| {
        let mut filled = path.to_string();
        for (param, good) in [
            ("{workspace}", "acme"),
            ("{ws}", "acme"),
            ("{project}", "WEB"),
            ("{key}", "WEB"),
            ("{repository}", "website"),
            ("{slug}", "website"),
            ("{user}", "ops"),
            ("{id}", "1"),
        ] {
            filled = filled.replace(param, value.unwrap_or(good));
        }
        filled
    };
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        // The two operations that take no credentials (the document, and
        // the version Data Center's clients read first).
        if path.ends_with("/openapi.json") || path.ends_with("/application-properties") {
            continue;
        }
        let management = path.starts_with("/rest/access-tokens/");
        let credentials = if management {
            password.as_bytes()
        } else {
            bearer.as_bytes()
        };
        for method in item.as_object().unwrap().keys().filter(|m| *m != "parameters") {
            operations += 1;
            let method = method.to_uppercase();
            let target = fill(path, None);
            for (what, values) in hostile_authorizations() {
                let headers: Vec<(&str, &[u8])> = values.iter().map(|v| ("Authorization", v.as_slice())).collect();
                sweep
                    .expect_4xx(what, &method, target.as_bytes(), &headers, b"", false)
                    .await;
            }
            // Lists: paging parameters that are not whole numbers, or none.
            let paged = item[method.to_lowercase()]["parameters"]
                .as_array()
                .is_some_and(|params| params.iter().any(|p| p["name"] == "limit"));
            if paged {
                for query in [
                    "?limit=0",
                    "?limit=-5",
                    "?limit=ten",
                    "?start=-1",
                    "?start=1.5",
                    "?start=99999999999999999999999",
                    "?limit=1&limit=2",
                    "?limit=%FF",
                ] {
                    let headers = [("Authorization", credentials)];
                    let target = format!("{target}{query}");
                    sweep
                        .expect_4xx(
                            "a hostile paging parameter",
                            &method,
                            target.as_bytes(),
                            &headers,
                            b"",
                            false,
                        )
                        .await;
                }
            }
            if method == "POST" || method == "PUT" {
                let mut bodies = hostile_json();
                if management && method == "PUT" {
                    bodies.extend(hostile_expiry());
                }
                for (what, body) in bodies {
                    let headers = [json, ("Authorization", credentials)];
                    sweep
                        .expect_4xx(what, &method, target.as_bytes(), &headers, &body, false)
                        .await;
                }
                let headers = [("Content-Type", &b"text/plain"[..]), ("Authorization", credentials)];
                sweep
                    .expect_4xx("not JSON", &method, target.as_bytes(), &headers, b"name=x", false)
                    .await;
            }
            for hostile in [
                "..",
                "%2e%2e",
                "%00",
                "%FF%FE",
                "a%2Fb",
                "-1",
                "99999999999999999999999",
                &"x".repeat(5000),
            ] {
                if path.contains('{') {
                    let headers = [json, ("Authorization", credentials)];
                    let target = fill(path, Some(hostile));
                    sweep
                        .expect_4xx(
                            "a hostile path parameter",
                            &method,
                            target.as_bytes(),
                            &headers,
                            b"{}",
                            false,
                        )
                        .await;
                }
            }
        }
    }
    assert!(operations >= 30, "{operations} REST operations");
    sweep
        .expect_4xx("no such endpoint", "GET", b"/rest/api/1.0/%FF", &[], b"", false)
        .await;

    // Git: hostile paths with a good token, and hostile credentials.
    let git_auth = basic_header("ops", token.secret.expose());
    for path in [
        "/scm/acme/website.git/../acme/website.git/info/refs",
        "/scm/acme/website.git/%2e%2e/%2e%2e/etc/passwd",
        "/scm/acme/website.git/info/refs%00",
        "/scm/acme/%FF.git/info/refs",
        "/scm/acme/website.git/objects/pack/pack-..%2f..%2fx.pack",
        "/scm/%2e%2e/website.git/info/refs",
    ] {
        sweep
            .expect_4xx(
                "a hostile Git path",
                "GET",
                path.as_bytes(),
                &[("Authorization", git_auth.as_bytes())],
                b"",
                false,
            )
            .await;
    }
    for (what, values) in hostile_authorizations() {
        let headers: Vec<(&str, &[u8])> = values.iter().map(|v| ("Authorization", v.as_slice())).collect();
        sweep
            .expect_4xx(
                what,
                "GET",
                b"/scm/acme/website.git/info/refs?service=git-upload-pack",
                &headers,
                b"",
                false,
            )
            .await;
    }
    // Pages.
    for path in [
        "/w/%FF%FE",
        "/w/..%2F..",
        &format!("/w/{}", "w".repeat(5000)),
        "/no/such/page",
    ] {
        sweep
            .expect_4xx("a page that is not there", "GET", path.as_bytes(), &[], b"", false)
            .await;
    }
    // Headers: duplicates and oversized ones beside a good session.
    let big_cookie = format!("{cookie}; {}", "junk=1; ".repeat(2000));
    sweep
        .expect_4xx(
            "an oversized cookie and two anti-CSRF headers",
            "GET",
            b"/rest/access-tokens/1.0/users/nobody",
            &[
                ("Cookie", big_cookie.as_bytes()),
                ("X-Atlassian-Token", b"no-check"),
                ("X-Atlassian-Token", b"x"),
            ],
            b"",
            false,
        )
        .await;

    server.kill().unwrap();
    server.wait().unwrap();
    let log = std::fs::read_to_string(&log_path).unwrap();
    let total: usize = sweep.statuses.values().sum();
    println!(
        "{backend:?} bad input: {total} requests to {} server functions and {operations} REST operations, Git and \
         pages: answers {:?}",
        functions.len(),
        sweep.statuses
    );
    assert!(
        sweep.failures.is_empty(),
        "{} bad answers:\n{}",
        sweep.failures.len(),
        sweep.failures.join("\n")
    );
    assert!(!sweep.statuses.keys().any(|s| *s >= 500), "{:?}", sweep.statuses);
    assert!(!log.contains("panicked"), "the server panicked:\n{log}");
}

both_backends!(hostile_input_gets_a_4xx_with_a_message_everywhere, sweep_everything);

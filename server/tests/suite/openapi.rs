//! The served OpenAPI document says what the handlers answer: every
//! operation it documents is called for real, with its success and with the
//! refusals it documents, and each answer's body is validated against the
//! schema documented for that status (JSON Schema 2020-12, which OpenAPI 3.1
//! schemas are). Schemathesis fuzzes the same document in `./dev test`; this
//! runs in `cargo test`, on both databases.

use crate::common::{acme_website, TestApp, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The document and what has been checked against it.
struct Conformance {
    doc: Value,
    base: String,
    http: reqwest::Client,
    checked: BTreeSet<(String, String, u16)>,
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    None,
    Bearer(&'a str),
    Basic(&'a str, &'a str),
}

impl Conformance {
    async fn load(app: &TestApp) -> Conformance {
        let http = reqwest::Client::new();
        let doc: Value = http
            .get(format!("{}/rest/api/1.0/openapi.json", app.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .expect("the document is JSON");
        Conformance {
            doc,
            base: app.base.clone(),
            http,
            checked: BTreeSet::new(),
        }
    }

    /// Calls `template` (with `args` put in its `{names}`, in order) and
    /// checks the answer against what the document says of `status`.
    async fn call(
        &mut self,
        method: Method,
        template: &str,
        args: &[&str],
        auth: Auth<'_>,
        body: Option<Value>,
        status: u16,
    ) -> Value {
        let mut path = template.to_string();
        for arg in args {
            let start = path.find('{').expect("as many {names} as args");
            let end = start + path[start..].find('}').unwrap();
            path.replace_range(start..=end, arg);
        }
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
        request = match auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        };
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let answered = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        let method = method.as_str().to_lowercase();
        assert_eq!(answered, status, "{method} {path}: {text}");
        let operation = &self.doc["paths"][template][&method];
        assert!(operation.is_object(), "{method} {template} is not documented");
        let mut documented = operation["responses"][status.to_string()].clone();
        assert!(
            documented.is_object(),
            "{method} {template} does not document {status}: {text}"
        );
        if let Some(r) = documented["$ref"].as_str() {
            documented = self
                .doc
                .pointer(&r[1..])
                .cloned()
                .expect("a response $ref that resolves");
        }
        let value: Value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("{method} {path}: not JSON: {text}"))
        };
        match documented["content"]["application/json"]["schema"].as_object() {
            None => assert_eq!(value, Value::Null, "{method} {template} {status} documents no body"),
            Some(schema) => {
                let mut root = Value::Object(schema.clone());
                root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
                root["components"] = self.doc["components"].clone();
                let validator = jsonschema::validator_for(&root).expect("a valid JSON Schema");
                let errors: Vec<String> = validator
                    .iter_errors(&value)
                    .map(|e| format!("{} at {}", e, e.instance_path()))
                    .collect();
                assert!(errors.is_empty(), "{method} {path} {status}: {errors:?}\n{value:#}");
            }
        }
        self.checked.insert((template.to_string(), method, status));
        value
    }
}

const SELF: &str = "/rest/api/1.0/tokens/self";
const PROPERTIES: &str = "/rest/api/1.0/application-properties";
const DC_PROJECTS: &str = "/rest/api/1.0/projects";
const DC_PROJECT: &str = "/rest/api/1.0/projects/{projectKey}";
const DC_REPOSITORIES: &str = "/rest/api/1.0/projects/{projectKey}/repos";
const DC_REPOSITORY: &str = "/rest/api/1.0/projects/{projectKey}/repos/{repositorySlug}";
const SELF_ROTATE: &str = "/rest/api/1.0/tokens/self/rotate";
const WORKSPACES: &str = "/rest/api/1.0/workspaces";
const WORKSPACE: &str = "/rest/api/1.0/workspaces/{workspace}";
const PROJECTS: &str = "/rest/api/1.0/workspaces/{workspace}/projects";
const REPOSITORIES: &str = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos";
const REPOSITORY: &str = "/rest/api/1.0/workspaces/{workspace}/projects/{project}/repos/{repository}";
const DOCUMENT: &str = "/rest/api/1.0/openapi.json";

both_backends!(every_documented_answer_matches_its_schema, |backend| async move {
    let app = TestApp::spawn(backend).await;
    let root_client = acme_website(&app).await;
    let mut api = Conformance::load(&app).await;
    let root = Auth::Basic("root", ADMIN_PASSWORD);

    // Token management at every place: create, list, edit, revoke, and the
    // refusals scripts meet most.
    let places: [(&str, &[&str], Value); 6] = [
        (
            "/rest/access-tokens/1.0/users/{userSlug}",
            &["root"],
            json!(["REPO_READ"]),
        ),
        (
            "/rest/access-tokens/1.0/workspaces/{workspace}",
            &["acme"],
            json!(["WORKSPACE_READ"]),
        ),
        (
            "/rest/access-tokens/1.0/workspaces/{workspace}/projects/{projectKey}",
            &["acme", "WEB"],
            json!(["PROJECT_READ", "REPO_READ"]),
        ),
        (
            "/rest/access-tokens/1.0/workspaces/{workspace}/projects/{projectKey}/repos/{repositorySlug}",
            &["acme", "WEB", "website"],
            json!(["REPO_READ"]),
        ),
        (
            "/rest/access-tokens/1.0/projects/{projectKey}",
            &["WEB"],
            json!(["PROJECT_WRITE", "REPO_WRITE"]),
        ),
        (
            "/rest/access-tokens/1.0/projects/{projectKey}/repos/{repositorySlug}",
            &["WEB", "website"],
            json!(["REPO_WRITE"]),
        ),
    ];
    for (place, args, permissions) in &places {
        let one = format!("{place}/{{tokenId}}");
        let new = json!({ "name": "conformance", "permissions": permissions, "expiryDays": 30 });
        let created = api.call(Method::PUT, place, args, root, Some(new), 200).await;
        let id = created["id"].as_str().unwrap().to_string();
        let with_id: Vec<&str> = args.iter().copied().chain([id.as_str()]).collect();
        api.call(Method::GET, place, args, root, None, 200).await;
        api.call(Method::GET, place, args, Auth::None, None, 401).await;
        api.call(
            Method::GET,
            place,
            args,
            Auth::Bearer(created["token"].as_str().unwrap()),
            None,
            403,
        )
        .await;
        let bad = json!({ "name": "", "permissions": permissions });
        api.call(Method::PUT, place, args, root, Some(bad), 400).await;
        let renamed = json!({ "name": "renamed" });
        api.call(Method::POST, &one, &with_id, root, Some(renamed), 200).await;
        let read = api.call(Method::GET, &one, &with_id, root, None, 200).await;
        assert_eq!((read["name"].as_str(), read.get("token")), (Some("renamed"), None));
        // Rotated: the successor (with its secret); the old one refuses a second rotation.
        let rotate = format!("{place}/{{tokenId}}/rotate");
        let asked = json!({ "expiryDays": 7, "overlap": "1h" });
        let successor = api.call(Method::POST, &rotate, &with_id, root, Some(asked), 201).await;
        assert_eq!(successor["replaces"].as_str(), Some(id.as_str()));
        api.call(Method::POST, &rotate, &with_id, root, Some(json!({})), 409)
            .await;
        let odd = json!({ "overlap": "forever" });
        let next: Vec<&str> = args
            .iter()
            .copied()
            .chain([successor["id"].as_str().unwrap()])
            .collect();
        api.call(Method::POST, &rotate, &next, root, Some(odd), 400).await;
        api.call(Method::DELETE, &one, &with_id, root, None, 204).await;
        api.call(Method::DELETE, &one, &with_id, root, None, 404).await;
        api.call(Method::GET, &one, &with_id, root, None, 404).await;
        let missing: Vec<&str> = args.iter().copied().chain(["999999"]).collect();
        api.call(Method::DELETE, &one, &missing, root, None, 404).await;
    }

    // A token that reaches everything root can, for the resource API.
    let new = json!({ "name": "api", "permissions": ["PROJECT_ADMIN", "REPO_ADMIN"], "expiryDays": 30 });
    let created = api
        .call(Method::PUT, places[0].0, &["root"], root, Some(new), 200)
        .await;
    let token = created["token"].as_str().unwrap().to_string();
    let bearer = || Auth::Bearer(&token);
    let read_only = json!({ "name": "read", "permissions": ["PROJECT_READ", "REPO_READ"], "expiryDays": 30 });
    let created = api
        .call(Method::PUT, places[0].0, &["root"], root, Some(read_only), 200)
        .await;
    let reader = created["token"].as_str().unwrap().to_string();

    let me = api.call(Method::GET, SELF, &[], bearer(), None, 200).await;
    assert_eq!(me["kind"], "personal");
    // A token rotating itself: the successor once, then a conflict.
    let rotating = json!({ "name": "rotating", "permissions": ["REPO_READ"], "expiryDays": 30 });
    let created = api
        .call(Method::PUT, places[0].0, &["root"], root, Some(rotating), 200)
        .await;
    let rotating = created["token"].as_str().unwrap().to_string();
    let successor = api
        .call(
            Method::POST,
            SELF_ROTATE,
            &[],
            Auth::Bearer(&rotating),
            Some(json!({})),
            201,
        )
        .await;
    assert_eq!(successor["replaces"], created["id"]);
    api.call(Method::POST, SELF_ROTATE, &[], Auth::Bearer(&rotating), None, 409)
        .await;
    api.call(Method::POST, SELF_ROTATE, &[], Auth::None, None, 401).await;
    api.call(Method::GET, SELF, &[], Auth::None, None, 401).await;
    api.call(Method::GET, SELF, &[], Auth::Bearer("tww_not_a_token"), None, 401)
        .await;
    api.call(Method::GET, WORKSPACES, &[], bearer(), None, 200).await;
    api.call(Method::GET, WORKSPACE, &["acme"], bearer(), None, 200).await;
    api.call(Method::GET, WORKSPACE, &["nowhere"], bearer(), None, 404)
        .await;
    api.call(Method::GET, PROJECTS, &["acme"], bearer(), None, 200).await;
    let repos = api
        .call(Method::GET, REPOSITORIES, &["acme", "WEB"], bearer(), None, 200)
        .await;
    assert_eq!(repos["values"][0]["slug"], "website");
    let new = json!({ "slug": "docs", "name": "Docs" });
    api.call(
        Method::POST,
        REPOSITORIES,
        &["acme", "WEB"],
        bearer(),
        Some(new.clone()),
        201,
    )
    .await;
    api.call(
        Method::POST,
        REPOSITORIES,
        &["acme", "WEB"],
        Auth::Bearer(&reader),
        Some(new),
        403,
    )
    .await;
    let bad = json!({ "slug": "no..dots", "name": "Docs" });
    api.call(Method::POST, REPOSITORIES, &["acme", "WEB"], bearer(), Some(bad), 400)
        .await;
    let huge = json!({ "slug": "big", "name": "x".repeat(70_000) });
    api.call(Method::POST, REPOSITORIES, &["acme", "WEB"], bearer(), Some(huge), 413)
        .await;
    let website = ["acme", "WEB", "website"];
    api.call(Method::GET, REPOSITORY, &website, bearer(), None, 200).await;
    let renamed = json!({ "name": "The website" });
    api.call(Method::PUT, REPOSITORY, &website, bearer(), Some(renamed), 200)
        .await;
    api.call(Method::GET, DOCUMENT, &[], Auth::None, None, 200).await;

    // Data Center's own paths and first call.
    api.call(Method::GET, PROPERTIES, &[], Auth::None, None, 200).await;
    let page = api.call(Method::GET, DC_PROJECTS, &[], bearer(), None, 200).await;
    assert_eq!(page["values"][0]["key"], "WEB");
    api.call(Method::GET, DC_PROJECTS, &[], Auth::None, None, 401).await;
    api.call(Method::GET, DC_PROJECT, &["WEB"], bearer(), None, 200).await;
    api.call(Method::GET, DC_PROJECT, &["NOPE"], bearer(), None, 404).await;
    api.call(Method::GET, DC_REPOSITORIES, &["WEB"], bearer(), None, 200)
        .await;
    api.call(Method::GET, DC_REPOSITORY, &["WEB", "website"], bearer(), None, 200)
        .await;
    let dc_new = json!({ "name": "Data Center Made", "scmId": "git", "forkable": true });
    let made = api
        .call(Method::POST, DC_REPOSITORIES, &["WEB"], bearer(), Some(dc_new), 201)
        .await;
    assert_eq!(made["slug"], "data-center-made");
    let not_git = json!({ "name": "Mercurial", "scmId": "hg" });
    api.call(Method::POST, DC_REPOSITORIES, &["WEB"], bearer(), Some(not_git), 400)
        .await;
    // A key two workspaces the caller sees have: a conflict naming them.
    crate::common::ok(
        &root_client,
        "create_workspace",
        &[("slug", "beta"), ("name", "Beta"), ("admin_username", "")],
    )
    .await;
    crate::common::ok(
        &root_client,
        "create_project",
        &[("workspace", "beta"), ("key", "WEB"), ("name", "Beta web")],
    )
    .await;
    let conflict = api.call(Method::GET, DC_PROJECT, &["WEB"], bearer(), None, 409).await;
    assert!(conflict.to_string().contains("acme, beta"), "{conflict}");
    api.call(Method::GET, DC_REPOSITORIES, &["WEB"], bearer(), None, 409)
        .await;
    api.call(Method::GET, DC_REPOSITORY, &["WEB", "website"], bearer(), None, 409)
        .await;
    api.call(
        Method::POST,
        DC_REPOSITORIES,
        &["WEB"],
        bearer(),
        Some(json!({ "name": "x" })),
        409,
    )
    .await;
    let paged = api.call(Method::GET, DC_PROJECTS, &[], bearer(), None, 200).await;
    assert_eq!(paged["size"], 2);

    // Every documented operation was called to its success at least once.
    let doc = api.doc.clone();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap().iter().filter(|(m, _)| *m != "parameters") {
            let success = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|s| s.parse::<u16>().ok())
                .find(|s| (200..300).contains(s))
                .expect("a documented success");
            assert!(
                api.checked.contains(&(path.clone(), method.clone(), success)),
                "{method} {path} {success} was not called"
            );
        }
    }
});

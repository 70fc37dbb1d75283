//! The world outside the app that warnings reach, started by the tests on
//! loopback: a real SMTP server (aiosmtpd from PyPI, which `./dev test`
//! installs) writing what it receives to a maildir, and webhook receivers.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

/// aiosmtpd on a free loopback port, storing each message in a maildir.
pub struct SmtpServer {
    pub port: u16,
    maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

/// One message as it arrived.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The Python of the test tools' virtual environment (aiosmtpd, Data
/// Center's client), which `./dev test` installs.
pub fn python() -> PathBuf {
    if let Ok(path) = std::env::var("TOKENWARDEN_TEST_PYTHON") {
        return path.into();
    }
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/tools/python/bin/python");
    if !tools.exists() {
        panic!(
            "the test tools' Python ({}) is missing, so this test cannot run. Run `./dev setup --tests` \
             (or `./dev test`), which installs it, or set TOKENWARDEN_TEST_PYTHON.",
            tools.display()
        );
    }
    tools
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let maildir = dir.path().join("mail");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            probe.local_addr().unwrap().port()
        };
        let mut child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return SmtpServer {
                    port,
                    maildir,
                    child,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("aiosmtpd did not start listening on 127.0.0.1:{port} within 10 s");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        let mut mails = Vec::new();
        for entry in entries.flatten() {
            let text = std::fs::read_to_string(entry.path()).expect("a stored message");
            let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        l.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            mails.push(Mail {
                to: header("to"),
                subject: header("subject"),
                body: body.replace("=\n", "").replace("=3D", "="),
            });
        }
        mails
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub event: String,
    pub delivery: String,
    pub signature: String,
    pub body: String,
}

/// A webhook receiver on loopback that answers 500 to its first
/// `fail_first` requests, then 200.
pub struct Receiver {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        use axum::{http::HeaderMap, routing::post, Router};
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = received.clone();
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: String| {
                let log = log.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    let mut log = log.lock().unwrap();
                    log.push(Received {
                        event: header("tokenwarden-event"),
                        delivery: header("tokenwarden-delivery"),
                        signature: header("tokenwarden-signature"),
                        body,
                    });
                    if log.len() <= fail_first {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver {
            url: format!("http://{addr}/hook"),
            received,
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

//! `tokenwarden`: serve the app, or administer it from the command line.

use app::ssr::{password::hash_blocking, store::users, AuthSettings};
use clap::{Args, Parser, Subcommand};
use server::config::{self, DatabaseConfig};
use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(
    name = "tokenwarden",
    version,
    about = "Access tokens whose expiry obeys your policy."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web app (the default).
    Serve(ServeArgs),
    /// Create a system administrator; the password is read from standard input.
    CreateAdmin(CreateAdminArgs),
    /// Seed a small demo into an empty database and print its sign-ins.
    Demo(DatabaseArgs),
    /// Add a new key for hashing new tokens; existing tokens keep working.
    RotateTokenKey(KeyFileArgs),
}

#[derive(Args, Clone)]
struct KeyFileArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The token key ring [default: token-keys in the data directory]. App servers sharing a database must share it.
    #[arg(long, env = "TOKENWARDEN_TOKEN_KEY_FILE")]
    token_key_file: Option<PathBuf>,
}

impl KeyFileArgs {
    fn path(&self) -> PathBuf {
        self.token_key_file
            .clone()
            .unwrap_or_else(|| self.database.data_dir.join("token-keys"))
    }
}

#[derive(Args, Clone)]
struct DatabaseArgs {
    /// postgres://user:password@host/db or sqlite://file.db; default: a SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Directory for the embedded database.
    #[arg(long, env = "TOKENWARDEN_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[command(flatten)]
    keys: KeyFileArgs,
    /// Address to listen on [default: 127.0.0.1:3000].
    #[arg(long, env = "TOKENWARDEN_ADDR")]
    addr: Option<String>,
    /// Where bare Git repositories are kept [default: git in the data directory]. App servers sharing a database must share it.
    #[arg(long, env = "TOKENWARDEN_GIT_DIR")]
    git_dir: Option<PathBuf>,
    /// The URL users reach the app at; https:// makes the session cookie Secure.
    #[arg(long, env = "TOKENWARDEN_PUBLIC_URL")]
    public_url: Option<String>,
    /// Sign users out after this many minutes without a request.
    #[arg(long, env = "TOKENWARDEN_SESSION_IDLE_MINUTES", default_value_t = 480)]
    session_idle_minutes: u32,
    /// Seed the demo data first if the database is empty.
    #[arg(long, env = "TOKENWARDEN_DEMO")]
    demo: bool,
    /// Most active tokens one owner (user or resource) may have.
    #[arg(long, env = "TOKENWARDEN_MAX_ACTIVE_TOKENS", default_value_t = 100)]
    max_active_tokens: u32,
    /// Reverse proxies (CIDR ranges, comma-separated) whose X-Forwarded-For names the client [default: none].
    #[arg(long, env = "TOKENWARDEN_TRUSTED_PROXIES")]
    trusted_proxies: Option<String>,
    /// Send expiry warnings by email through this SMTP server: smtp://host:port (plain, loopback only),
    /// smtp://host:587?tls=required (STARTTLS) or smtps://host:465 (TLS); user:password@ to log in [default: email off].
    #[arg(long, env = "TOKENWARDEN_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of warning emails, e.g. "Tokenwarden <tokenwarden@example.com>".
    #[arg(long, env = "TOKENWARDEN_MAIL_FROM")]
    mail_from: Option<String>,
    /// Let webhooks go to loopback, private and link-local addresses, and over plain http.
    #[arg(long, env = "TOKENWARDEN_WEBHOOKS_ALLOW_PRIVATE")]
    webhooks_allow_private: bool,
    /// Seconds between warning sweeps (and webhook retries).
    #[arg(long, env = "TOKENWARDEN_SWEEP_SECONDS", default_value_t = 60)]
    sweep_seconds: u32,
}

#[derive(Args)]
struct CreateAdminArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    username: String,
    #[arg(long)]
    email: String,
    /// Full name [default: the username].
    #[arg(long)]
    display_name: Option<String>,
}

fn init_logging() {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    if std::env::var("TOKENWARDEN_LOG_FORMAT").is_ok_and(|f| f == "json") {
        fmt().json().with_env_filter(filter).init();
    } else {
        fmt().with_env_filter(filter).init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        None => serve(cli.serve).await,
        Some(Command::Serve(args)) => serve(args).await,
        Some(Command::CreateAdmin(args)) => create_admin(args).await,
        Some(Command::Demo(args)) => demo(args).await,
        Some(Command::RotateTokenKey(args)) => app::ssr::token_keys::TokenKeys::rotate(&args.path()).map(|id| {
            println!(
                "New token key {id} added to {}. Restart every app server to use it; existing tokens keep working.",
                args.path().display()
            );
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn open_db(args: &DatabaseArgs) -> Result<app::ssr::Db, String> {
    let config = DatabaseConfig::from_url(args.database_url.as_deref(), &args.data_dir).map_err(|e| e.to_string())?;
    server::db::open(&config).await
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    let addr_text = args
        .addr
        .clone()
        .or_else(|| std::env::var("LEPTOS_SITE_ADDR").ok())
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let addr = config::parse_addr(&addr_text).map_err(|e| e.to_string())?;
    let secure_cookies = config::public_url_is_https(args.public_url.as_deref()).map_err(|e| e.to_string())?;
    let trusted_proxies = config::trusted_proxies(args.trusted_proxies.as_deref()).map_err(|e| e.to_string())?;
    if args.session_idle_minutes == 0 {
        return Err(
            "session idle minutes must be at least 1 (flag --session-idle-minutes or TOKENWARDEN_SESSION_IDLE_MINUTES)"
                .into(),
        );
    }
    let database = DatabaseConfig::from_url(args.keys.database.database_url.as_deref(), &args.keys.database.data_dir)
        .map_err(|e| e.to_string())?;
    if args.max_active_tokens == 0 {
        return Err(
            "max active tokens must be at least 1 (flag --max-active-tokens or TOKENWARDEN_MAX_ACTIVE_TOKENS)".into(),
        );
    }
    if args.sweep_seconds == 0 || args.sweep_seconds > 3600 {
        return Err("sweep seconds must be from 1 to 3600 (flag --sweep-seconds or TOKENWARDEN_SWEEP_SECONDS)".into());
    }
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let settings = server::Settings {
        notify: server::NotifySettings {
            smtp_url: args.smtp_url.clone().filter(|u| !u.trim().is_empty()),
            mail_from: args.mail_from.clone(),
            public_url: public_url.clone(),
            webhooks: app::ssr::outbound::WebhookSettings {
                allow_private: args.webhooks_allow_private,
            },
        },
        addr,
        database: database.clone(),
        token_key_file: args.keys.path(),
        git_root: args
            .git_dir
            .clone()
            .unwrap_or_else(|| args.keys.database.data_dir.join("git")),
        data_dir: args.keys.database.data_dir.clone(),
        tokens: app::ssr::TokenSettings {
            max_active_per_owner: i64::from(args.max_active_tokens),
        },
        auth: AuthSettings {
            session_idle_secs: i64::from(args.session_idle_minutes) * 60,
            secure_cookies,
            trusted_proxies,
            ..AuthSettings::default()
        },
    };
    settings.notify.mailer()?;
    // The demo goes in first: it creates an administrator, so no setup
    // code is made for it.
    if args.demo {
        let db = server::db::open(&database).await?;
        match server::demo::seed(&db).await? {
            Some(accounts) => server::demo::print_accounts(&accounts, &public_url),
            None => tracing::info!("demo not seeded: the database already has users"),
        }
        db.pool.close().await;
    }
    let state = server::build_state(&settings).await?;
    tracing::info!(database = %database.describe(), "database ready");
    let notifier = settings.notify.notifier(&state.db)?;
    if notifier.mail.is_none() {
        tracing::info!("email is off: expiry warnings go to webhooks and the app only (set --smtp-url to send them)");
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}; choose another address with --addr or TOKENWARDEN_ADDR"))?;
    let db = state.db.clone();
    let last_used = state.last_used.clone();
    last_used.spawn_flusher();
    let (stop_notifier, stopped) = tokio::sync::watch::channel(false);
    let notifier = tokio::spawn(notifier.run(std::time::Duration::from_secs(u64::from(args.sweep_seconds)), stopped));
    tracing::info!("listening on http://{addr}");
    server::serve(listener, server::router(state), server::shutdown_signal())
        .await
        .map_err(|e| format!("server failed: {e}"))?;
    // A round in progress finishes; what it claimed but did not send is
    // claimed again by the next server to run.
    let _ = stop_notifier.send(true);
    let _ = notifier.await;
    // The last minute of "last used" notes, before the database closes.
    if let Err(e) = last_used.flush(app::ssr::db::now(), true).await {
        tracing::error!(error = %e, "could not record when tokens were last used");
    }
    db.pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn create_admin(args: CreateAdminArgs) -> Result<(), String> {
    use tokenwarden::validate;
    if std::io::stdin().is_terminal() {
        eprint!(
            "Password for {} (input is visible; pipe it in for scripts): ",
            args.username
        );
    }
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']).to_string();
    let username = validate::username(&args.username).map_err(|e| e.to_string())?;
    let email = validate::email(&args.email).map_err(|e| e.to_string())?;
    let display_name = validate::display_name("display name", args.display_name.as_deref().unwrap_or(&username))
        .map_err(|e| e.to_string())?;
    validate::new_password(&password, &username).map_err(|e| e.to_string())?;
    let db = open_db(&args.database).await?;
    let password_hash = tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let user = users::NewUser {
        username: username.clone(),
        email,
        display_name,
        password_hash,
        is_system_admin: true,
    };
    users::create_admin_from_cli(&db, &user)
        .await
        .map_err(|e| e.to_string())?;
    // The web setup is closed: its code is spent.
    app::ssr::setup_code::remove_file(&args.database.data_dir.join("setup-code"));
    println!("System administrator '{username}' created.");
    Ok(())
}

async fn demo(args: DatabaseArgs) -> Result<(), String> {
    let db = open_db(&args).await?;
    match server::demo::seed(&db).await? {
        Some(accounts) => {
            server::demo::print_accounts(&accounts, "http://127.0.0.1:3000");
            Ok(())
        }
        None => Err("the database already has users; the demo needs an empty database (use another TOKENWARDEN_DATA_DIR or DATABASE_URL)".into()),
    }
}

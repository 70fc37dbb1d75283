//! Configuration from flags and environment variables, checked up front so
//! a bad value stops startup with one line that says what and how to fix.

use std::{net::SocketAddr, path::PathBuf};
use thiserror::Error;

/// Where the data lives. `Debug` shows no password (see [`redact`]).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseConfig {
    /// An embedded SQLite file, created on first start.
    Sqlite { path: PathBuf },
    /// A PostgreSQL server, for several app servers sharing one database.
    Postgres { url: String },
}

impl DatabaseConfig {
    /// Reads `DATABASE_URL`-style input; with none, a SQLite file in `data_dir`.
    pub fn from_url(url: Option<&str>, data_dir: &std::path::Path) -> Result<Self, ConfigError> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(DatabaseConfig::Sqlite {
                path: data_dir.join("tokenwarden.db"),
            });
        };
        let scheme = url
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        match scheme.as_str() {
            "postgres" | "postgresql" => Ok(DatabaseConfig::Postgres { url: url.to_string() }),
            "sqlite" => {
                let rest = url["sqlite:".len()..].trim_start_matches("//");
                let path = rest.split('?').next().unwrap_or_default();
                if path.is_empty() || path == ":memory:" {
                    return Err(ConfigError::Database(format!(
                        "DATABASE_URL '{url}' names no file; use sqlite://path/to/tokenwarden.db (an in-memory database would lose everything on restart)"
                    )));
                }
                Ok(DatabaseConfig::Sqlite { path: PathBuf::from(path) })
            }
            _ => Err(ConfigError::Database(format!(
                "unknown database scheme in DATABASE_URL '{}'; use postgres://user:password@host/database or sqlite://path/to/file.db",
                redact(url)
            ))),
        }
    }

    /// A description safe to log: no password.
    pub fn describe(&self) -> String {
        match self {
            DatabaseConfig::Sqlite { path } => format!("SQLite file {}", path.display()),
            DatabaseConfig::Postgres { url } => format!("PostgreSQL at {}", redact(url)),
        }
    }
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseConfig::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            DatabaseConfig::Postgres { url } => f.debug_struct("Postgres").field("url", &redact(url)).finish(),
        }
    }
}

/// Reads the trusted-proxies setting: CIDR ranges, comma- or space-separated.
pub fn trusted_proxies(list: Option<&str>) -> Result<tokenwarden::forwarded::TrustedProxies, ConfigError> {
    tokenwarden::forwarded::TrustedProxies::parse(list.unwrap_or_default()).map_err(|e| {
        ConfigError::Invalid(format!(
            "trusted proxies: {e} (flag --trusted-proxies or TOKENWARDEN_TRUSTED_PROXIES)"
        ))
    })
}

/// The URL with any password replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_string()
            };
            format!("{scheme}://{hidden}@{host}{path}")
        }
        None => url.to_string(),
    }
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{0}")]
    Address(String),
    #[error("{0}")]
    Database(String),
    #[error("{0}")]
    Invalid(String),
}

pub fn parse_addr(raw: &str) -> Result<SocketAddr, ConfigError> {
    raw.trim().parse().map_err(|_| {
        ConfigError::Address(format!(
            "listen address '{raw}' is not host:port; use an IP and port such as 127.0.0.1:3000 (flag --addr or TOKENWARDEN_ADDR)"
        ))
    })
}

/// Whether session cookies must be Secure: when users reach the app over https.
pub fn public_url_is_https(url: Option<&str>) -> Result<bool, ConfigError> {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(false),
        Some(u) if u.starts_with("https://") => Ok(true),
        Some(u) if u.starts_with("http://") => Ok(false),
        Some(u) => Err(ConfigError::Invalid(format!(
            "public URL '{u}' must start with http:// or https:// (flag --public-url or TOKENWARDEN_PUBLIC_URL)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn no_url_means_a_sqlite_file_in_the_data_dir() {
        assert_eq!(
            DatabaseConfig::from_url(None, Path::new("/var/lib/tw")).unwrap(),
            DatabaseConfig::Sqlite {
                path: "/var/lib/tw/tokenwarden.db".into()
            }
        );
        assert_eq!(
            DatabaseConfig::from_url(Some("sqlite://x/y.db?mode=rwc"), Path::new("d")).unwrap(),
            DatabaseConfig::Sqlite { path: "x/y.db".into() }
        );
    }

    #[test]
    fn unknown_schemes_and_memory_databases_are_refused() {
        let e = DatabaseConfig::from_url(Some("mysql://root:hunter2@db/x"), Path::new("d"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown database scheme") && !e.contains("hunter2"), "{e}");
        assert!(DatabaseConfig::from_url(Some("sqlite::memory:"), Path::new("d")).is_err());
    }

    #[test]
    fn debug_hides_the_database_password() {
        let config = DatabaseConfig::Postgres {
            url: "postgres://tw:hunter2@db/tw".into(),
        };
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn trusted_proxies_are_checked() {
        assert!(trusted_proxies(None).unwrap().is_empty());
        assert!(!trusted_proxies(Some("10.0.0.0/8, ::1")).unwrap().is_empty());
        let e = trusted_proxies(Some("10.0.0.0/40")).unwrap_err().to_string();
        assert!(
            e.contains("'10.0.0.0/40'") && e.contains("TOKENWARDEN_TRUSTED_PROXIES"),
            "{e}"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://tw:secret@db:5432/tw"),
            "postgres://tw:***@db:5432/tw"
        );
        assert_eq!(redact("postgres://tw@db/tw"), "postgres://tw@db/tw");
    }

    #[test]
    fn addresses_must_parse() {
        assert!(parse_addr("127.0.0.1:3000").is_ok());
        assert!(parse_addr("localhost").unwrap_err().to_string().contains("host:port"));
        assert!(public_url_is_https(Some("https://tw.example")).unwrap());
        assert!(public_url_is_https(Some("ftp://x")).is_err());
    }
}

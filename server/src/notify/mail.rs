//! Warning emails over SMTP (lettre): who, which token, where it lives,
//! its permissions, the expiry in UTC and in the workspace's time zone,
//! and the page where it can be replaced. Never a secret.

use app::ssr::store::warnings::{EmailJob, Notice};
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use std::time::Duration;
use tokenwarden::warnings::Threshold;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// Where links in messages point (`--public-url`).
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// `smtp_url`: `smtp://host:port` (plain: loopback relays only),
    /// `smtp://host:587?tls=required` (STARTTLS) or `smtps://host:465`
    /// (TLS), with `user:password@` when the server wants a login.
    pub fn new(smtp_url: &str, mail_from: &str, public_url: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| {
                format!(
                    "--smtp-url {} is not an SMTP URL ({e}); use smtp://host:port, smtp://host:587?tls=required or \
                     smtps://host:465",
                    crate::config::redact(smtp_url)
                )
            })?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = mail_from
            .parse::<Mailbox>()
            .map_err(|e| format!("--mail-from {mail_from:?} is not an email address ({e})"))?;
        Ok(Mailer {
            transport,
            from,
            public_url: public_url.trim_end_matches('/').to_string(),
        })
    }

    pub async fn send(&self, job: &EmailJob) -> Result<(), String> {
        let to = Mailbox::new(
            Some(job.to_name.clone()),
            job.to_email
                .parse()
                .map_err(|e| format!("the recipient's address is invalid: {e}"))?,
        );
        let (subject, body) = compose(job, &self.public_url);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// The expiry in UTC, and in `zone` when that is another zone.
fn when(at: i64, zone: &str) -> String {
    let utc = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
    let mut text = utc.format("%a %-d %b %Y, %H:%M UTC").to_string();
    if let Ok(tz) = zone.parse::<chrono_tz::Tz>() {
        if tz != chrono_tz::UTC {
            text.push_str(&format!(
                " ({} {zone})",
                utc.with_timezone(&tz).format("%a %-d %b %Y, %H:%M")
            ));
        }
    }
    text
}

/// Subject and plain-text body of one warning.
pub fn compose(job: &EmailJob, public_url: &str) -> (String, String) {
    let token = &job.token;
    let kind = token.kind.as_str();
    let expires = token.expires_at.map(|at| when(at, &job.time_zone)).unwrap_or_default();
    let (subject, headline, action) = match job.notice {
        Notice::Expiry(Threshold::AtExpiry) => (
            format!("Token \"{}\" has expired", token.name),
            format!(
                "The {kind} token \"{}\" on {} has expired and no longer works.",
                token.name, token.scope
            ),
            "Create a new token and give it to whatever used this one:",
        ),
        Notice::Expiry(t) => (
            format!("Token \"{}\" {t}", token.name),
            format!("The {kind} token \"{}\" on {} {t}.", token.name, token.scope),
            "Replace it before then, so that nothing using it breaks (Rotate gives it a successor):",
        ),
        Notice::Reuse => (
            format!("Token \"{}\" was used after it was rotated", token.name),
            format!(
                "Someone presented the {kind} token \"{}\" on {} after it had been rotated and its overlap had \
                 ended. It was refused. Whoever holds it may have a leaked copy{}.",
                token.name,
                token.scope,
                if token.rotated_to.is_some() {
                    "; check its successor's last use, and revoke the successor if it was not you"
                } else {
                    ""
                }
            ),
            "Review the token and its successor:",
        ),
        Notice::PolicyApplied => (
            format!("Token \"{}\" now expires sooner", token.name),
            format!(
                "A tightened expiry policy was applied to the {kind} token \"{}\" on {}: it now expires on the \
                 date below.",
                token.name, token.scope
            ),
            "Replace it before then, so that nothing using it breaks (Rotate gives it a successor):",
        ),
    };
    let body = format!(
        "Hello {name},\n\n{headline}\n\n  Token:       {token_name} (#{id})\n  Lives on:    {kind} {scope}\n  \
         Permissions: {permissions}\n  Expires:     {expires}\n\n{action}\n{public_url}{page}\n\n\
         You get this because you own this token, created it, or administer where it lives.\n-- \nTokenwarden\n",
        name = job.to_name,
        token_name = token.name,
        id = token.id,
        scope = token.scope,
        permissions = token.permissions.join(", "),
        page = token.page(),
    );
    (format!("Tokenwarden: {subject}"), body)
}

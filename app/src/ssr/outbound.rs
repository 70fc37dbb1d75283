//! Where the server may send webhooks: the rules crate reads the URL; here
//! the host name is resolved and every address it resolves to is judged,
//! at registration and again before each delivery (a name may be pointed
//! somewhere else later). The sender then connects to the addresses
//! judged here, not to a second lookup's.

use std::net::SocketAddr;
use tokenwarden::webhooks::{is_public, parse_url, Target, WebhookError};

#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookSettings {
    /// Allow loopback, private and link-local addresses and plain http
    /// (`--webhooks-allow-private`; for receivers on the same machine or
    /// network, and for tests).
    pub allow_private: bool,
}

impl WebhookSettings {
    /// Reads `url` and resolves it: the target and the addresses to connect to.
    pub async fn check_url(&self, url: &str) -> Result<(Target, Vec<SocketAddr>), WebhookError> {
        let target = parse_url(url, self.allow_private)?;
        let addrs = self.resolve(&target).await?;
        Ok((target, addrs))
    }

    async fn resolve(&self, target: &Target) -> Result<Vec<SocketAddr>, WebhookError> {
        let addrs: Vec<SocketAddr> = match target.ip {
            Some(ip) => vec![SocketAddr::new(ip, target.port)],
            // Bounded: a resolver that hangs must not hold a sender past its lease.
            None => tokio::time::timeout(
                std::time::Duration::from_secs(5),
                tokio::net::lookup_host((target.host.as_str(), target.port)),
            )
            .await
            .ok()
            .and_then(Result::ok)
            .map(|a| a.collect())
            .unwrap_or_default(),
        };
        if addrs.is_empty() {
            return Err(WebhookError::Unresolvable(target.host.clone()));
        }
        if !self.allow_private {
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(WebhookError::PrivateAddress(bad.ip()));
            }
        }
        Ok(addrs)
    }
}

//! Sending one webhook delivery: the address checked again and pinned (so
//! a name re-pointed at a private address after registration is refused,
//! and the connection goes to the address that was checked), the body
//! signed with the webhook's secret, no redirects followed.

use app::ssr::{
    outbound::WebhookSettings,
    store::webhooks::{DeliveryJob, Outcome},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

/// `sha256=` and the hex HMAC-SHA-256 of `body` under `secret`: the
/// `Tokenwarden-Signature` header. Receivers compute the same over the raw
/// body and compare in constant time.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Debug, Clone)]
pub struct Sender {
    pub settings: WebhookSettings,
    pub timeout: Duration,
}

impl Sender {
    pub fn new(settings: WebhookSettings) -> Sender {
        Sender {
            settings,
            timeout: Duration::from_secs(10),
        }
    }

    pub async fn send(&self, job: &DeliveryJob) -> Outcome {
        let failed = |error: String| Outcome::Failed { status: None, error };
        let (target, addrs) = match self.settings.check_url(&job.url).await {
            Ok(found) => found,
            Err(e) => return failed(e.to_string()),
        };
        let client = match reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .user_agent(concat!("Tokenwarden-Webhook/", env!("CARGO_PKG_VERSION")))
            .resolve_to_addrs(&target.host, &addrs)
            .build()
        {
            Ok(client) => client,
            Err(e) => return failed(format!("cannot build the HTTP client: {e}")),
        };
        let response = client
            .post(&job.url)
            .header("content-type", "application/json")
            .header("tokenwarden-event", &job.event)
            .header("tokenwarden-delivery", &job.delivery_id)
            .header("tokenwarden-signature", signature(&job.secret, job.body.as_bytes()))
            .body(job.body.clone())
            .send()
            .await;
        match response {
            Ok(r) if r.status().is_success() => Outcome::Delivered {
                status: r.status().as_u16(),
            },
            Ok(r) => Outcome::Failed {
                status: Some(r.status().as_u16()),
                error: format!("the receiver answered {}", r.status()),
            },
            Err(e) if e.is_timeout() => failed(format!("no answer within {} s", self.timeout.as_secs())),
            Err(e) if e.is_connect() => failed("could not connect".into()),
            Err(e) => failed(format!("request failed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

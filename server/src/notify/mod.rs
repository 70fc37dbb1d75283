//! Warnings and webhooks, sent by a background task on every app server.
//!
//! Each round: sweep (claim due thresholds in the database and queue their
//! emails and webhook deliveries, see `app::ssr::store::warnings`), then
//! send what is due from the two outboxes, each message claimed with a
//! lease first. Any number of app servers may run this on one database:
//! the claims make each threshold queued once and each message sent by one
//! server; a server that dies after claiming leaves its messages to be
//! claimed again when the lease ends.
//!
//! [`Notifier::round`] takes the time as an argument, so tests drive the
//! ladder with a clock of their own; the task passes the real time.

pub mod mail;
pub mod webhook;

use app::ssr::{
    db::now,
    store::{
        warnings::{self, EmailJob, EmailOutcome, SweepReport},
        webhooks::{self, DeliveryJob},
    },
    Db,
};
use futures::stream::{self, StreamExt};
use std::time::Duration;

/// Tokens one sweep looks at per transaction.
const SWEEP_BATCH: i64 = 1000;
/// Messages claimed per query, and how many of them are sent at once. A
/// batch must be done well within the lease (`webhooks::LEASE_SECS`, 120 s)
/// or another server could claim its messages again: 32 messages, 16 at
/// a time, each within its timeout (20 s for SMTP, 10 s for a webhook),
/// take at most 40 s, however slow the receivers.
const SEND_BATCH: i64 = 32;
const SEND_AT_ONCE: usize = 16;

/// What the notifier needs besides the database.
#[derive(Clone)]
pub struct Notifier {
    pub db: Db,
    /// `None`: email is off (no `--smtp-url`).
    pub mail: Option<mail::Mailer>,
    pub webhooks: webhook::Sender,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundReport {
    pub sweep: SweepReport,
    pub emails_sent: usize,
    pub emails_failed: usize,
    pub deliveries_ok: usize,
    pub deliveries_failed: usize,
}

impl Notifier {
    /// Sweeps until nothing is due at `now`, in batches.
    pub async fn sweep(&self, now: i64) -> Result<SweepReport, String> {
        let mut total = SweepReport::default();
        loop {
            let report = warnings::sweep(&self.db, now, SWEEP_BATCH, self.mail.is_some())
                .await
                .map_err(|e| e.to_string())?;
            total.looked_at += report.looked_at;
            total.warnings += report.warnings;
            total.emails += report.emails;
            total.deliveries += report.deliveries;
            if report.looked_at < SWEEP_BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// Sends the warning emails due at `now`.
    pub async fn send_emails(&self, now: i64, report: &mut RoundReport) -> Result<(), String> {
        let Some(mailer) = &self.mail else { return Ok(()) };
        loop {
            let jobs = warnings::claim_emails(&self.db, now, SEND_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            if jobs.is_empty() {
                return Ok(());
            }
            let claimed = jobs.len();
            let sent: Vec<(EmailJob, EmailOutcome)> = stream::iter(jobs)
                .map(|job| {
                    let mailer = mailer.clone();
                    async move {
                        // Revoked meanwhile, or replaced (rotated): a warning
                        // about its expiry no longer helps anyone.
                        let replaced = job.token.rotated_to.is_some()
                            && matches!(job.notice, app::ssr::store::warnings::Notice::Expiry(_));
                        if job.token.revoked_at.is_some() || replaced {
                            return (job, EmailOutcome::Dropped);
                        }
                        match mailer.send(&job).await {
                            Ok(()) => (job, EmailOutcome::Sent),
                            Err(e) => (job, EmailOutcome::Failed(e)),
                        }
                    }
                })
                .buffer_unordered(SEND_AT_ONCE)
                .collect()
                .await;
            for (job, outcome) in sent {
                match &outcome {
                    EmailOutcome::Sent => report.emails_sent += 1,
                    EmailOutcome::Failed(e) => {
                        tracing::warn!(error = %e, email = job.id, "a warning email was not sent; it will be tried again");
                        report.emails_failed += 1;
                    }
                    EmailOutcome::Dropped => {}
                }
                warnings::finish_email(&self.db, &job, outcome, now)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if claimed < SEND_BATCH as usize {
                return Ok(());
            }
        }
    }

    /// Sends the webhook deliveries due at `now`.
    pub async fn send_deliveries(&self, now: i64, report: &mut RoundReport) -> Result<(), String> {
        loop {
            let jobs = webhooks::claim(&self.db, now, SEND_BATCH)
                .await
                .map_err(|e| e.to_string())?;
            if jobs.is_empty() {
                return Ok(());
            }
            let claimed = jobs.len();
            let sent: Vec<(DeliveryJob, webhooks::Outcome)> = stream::iter(jobs)
                .map(|job| {
                    let sender = self.webhooks.clone();
                    async move {
                        let outcome = sender.send(&job).await;
                        (job, outcome)
                    }
                })
                .buffer_unordered(SEND_AT_ONCE)
                .collect()
                .await;
            for (job, outcome) in sent {
                match &outcome {
                    webhooks::Outcome::Delivered { .. } => report.deliveries_ok += 1,
                    webhooks::Outcome::Failed { error, .. } => {
                        tracing::info!(delivery = %job.delivery_id, error = %error, "a webhook delivery failed; it will be tried again");
                        report.deliveries_failed += 1;
                    }
                }
                webhooks::finish(&self.db, &job, outcome, now)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            if claimed < SEND_BATCH as usize {
                return Ok(());
            }
        }
    }

    /// One round at `now`: sweep, then send.
    pub async fn round(&self, now: i64) -> Result<RoundReport, String> {
        let mut report = RoundReport {
            sweep: self.sweep(now).await?,
            ..RoundReport::default()
        };
        self.send_emails(now, &mut report).await?;
        self.send_deliveries(now, &mut report).await?;
        Ok(report)
    }

    /// Runs a round every `every` until `stop` completes; a round in
    /// progress finishes first (its claims are in the database either way).
    pub async fn run(self, every: Duration, stop: tokio::sync::watch::Receiver<bool>) {
        let mut stop = stop;
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            match self.round(now()).await {
                Ok(report) if report != RoundReport::default() => tracing::info!(?report, "warnings and webhooks"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "the warning sweep failed; it runs again next round"),
            }
        }
    }
}

//! "Last used" (time, client address, REST or Git) for tokens and app
//! passwords, without a database write on every request.
//!
//! A credential's row is written at most once a minute, across all app
//! servers: each write stamps `last_used_written_at`, and a write is applied
//! only when that stamp is a minute old. The first use is written at once
//! (in the background, so lists show it without delay); later uses wait in
//! memory, newest first, and a flusher writes them when their minute is up
//! (if another app server wrote meanwhile, the note waits another minute).
//! At shutdown every pending note is written whatever the minute, so the
//! latest value is never lost. A write never moves the stored use backwards.

use super::{
    store::{
        self,
        last_used::{UseRow, UsedBy, Written},
    },
    Db,
};
use crate::error::AppError;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// The least time between two writes for one credential, in seconds.
pub const WRITE_INTERVAL_SECS: i64 = 60;
/// How often the flusher looks for notes whose minute is up.
const FLUSH_TICK_SECS: u64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Credential {
    Token(i64),
    AppPassword(i64),
}

/// What the credential was used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Channel {
    Rest,
    Git,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Rest => "rest",
            Channel::Git => "git",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Use {
    at: i64,
    addr: String,
    via: Channel,
}

#[derive(Default)]
struct Notes {
    /// The newest use of each credential not yet written.
    pending: HashMap<Credential, Use>,
    /// When this server may next try to write each credential.
    next_try: HashMap<Credential, i64>,
}

#[derive(Clone)]
pub struct LastUsed {
    db: Db,
    notes: Arc<Mutex<Notes>>,
}

impl LastUsed {
    pub fn new(db: Db) -> Self {
        LastUsed {
            db,
            notes: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Notes> {
        self.notes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps notes that could not be written yet, unless a newer one came.
    fn keep(&self, notes: Vec<(Credential, Use)>) {
        let mut held = self.lock();
        for (credential, this_use) in notes {
            held.pending.entry(credential).or_insert(this_use);
        }
    }

    /// Notes that `credential` was used at `at` (Unix seconds) from `addr`.
    /// Writes at once (in the background) if its minute is up; otherwise
    /// keeps it for the flusher.
    pub fn note(&self, credential: Credential, at: i64, addr: &str, via: Channel) {
        let this_use = Use {
            at,
            addr: addr.to_string(),
            via,
        };
        {
            let mut notes = self.lock();
            if notes.next_try.get(&credential).is_some_and(|&next| at < next) {
                // Requests can finish out of order: keep the newest use.
                match notes.pending.get(&credential) {
                    Some(newer) if newer.at > at => {}
                    _ => {
                        notes.pending.insert(credential, this_use);
                    }
                }
                return;
            }
            notes.next_try.insert(credential, at + WRITE_INTERVAL_SECS);
            notes.pending.remove(&credential);
        }
        let this = self.clone();
        tokio::spawn(async move {
            let batch = vec![(credential, this_use)];
            match write(&this.db, &batch, at, false).await {
                Ok(outcome) => this.keep(outcome.waiting),
                Err(e) => {
                    tracing::warn!(error = %e, "could not record when a credential was last used; will retry");
                    this.keep(batch);
                }
            }
        });
    }

    /// Writes the pending notes whose minute is up at `now` (all of them,
    /// whatever the minute, when `all`: at shutdown) and returns how many
    /// were written. Notes that must wait, or whose write failed, are kept.
    pub async fn flush(&self, now: i64, all: bool) -> Result<usize, AppError> {
        let batch: Vec<(Credential, Use)> = {
            let mut notes = self.lock();
            let Notes { pending, next_try } = &mut *notes;
            let due: Vec<Credential> = pending
                .keys()
                .copied()
                .filter(|c| all || next_try.get(c).is_none_or(|&next| now >= next))
                .collect();
            let batch: Vec<(Credential, Use)> = due
                .into_iter()
                .filter_map(|c| pending.remove(&c).map(|u| (c, u)))
                .collect();
            for (credential, _) in &batch {
                next_try.insert(*credential, now + WRITE_INTERVAL_SECS);
            }
            // Forget credentials whose minute is over with nothing pending.
            next_try.retain(|c, next| now < *next || pending.contains_key(c));
            batch
        };
        if batch.is_empty() {
            return Ok(0);
        }
        match write(&self.db, &batch, now, all).await {
            Ok(outcome) => {
                self.keep(outcome.waiting);
                Ok(outcome.written)
            }
            Err(e) => {
                self.keep(batch);
                Err(e)
            }
        }
    }

    /// How many notes wait to be written (for monitoring and tests).
    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }

    /// Writes notes as their minute comes up, until the process ends.
    pub fn spawn_flusher(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(FLUSH_TICK_SECS));
            loop {
                tick.tick().await;
                if let Err(e) = this.flush(super::db::now(), false).await {
                    tracing::warn!(error = %e, "could not record when credentials were last used; will retry");
                }
            }
        });
    }
}

struct Outcome {
    written: usize,
    /// Notes another app server's recent write holds back for now.
    waiting: Vec<(Credential, Use)>,
}

/// Writes the batch (see [`store::last_used::write`]) and sorts what was
/// not written: held back by the minute (waits), older than what is stored
/// or of a credential that is gone (dropped).
async fn write(db: &Db, batch: &[(Credential, Use)], now: i64, whatever_the_minute: bool) -> Result<Outcome, AppError> {
    let rows: Vec<UseRow> = batch
        .iter()
        .map(|(credential, this_use)| UseRow {
            by: match *credential {
                Credential::Token(id) => UsedBy::Token(id),
                Credential::AppPassword(id) => UsedBy::AppPassword(id),
            },
            at: this_use.at,
            addr: &this_use.addr,
            via: this_use.via.as_str(),
        })
        .collect();
    let written = store::last_used::write(db, &rows, now, whatever_the_minute).await?;
    let mut outcome = Outcome {
        written: 0,
        waiting: Vec::new(),
    };
    for ((credential, this_use), written) in batch.iter().zip(written) {
        match written {
            Written::Yes => outcome.written += 1,
            Written::No { stored } if !whatever_the_minute && stored.is_none_or(|s| s <= this_use.at) => {
                outcome.waiting.push((*credential, this_use.clone()));
            }
            Written::No { .. } | Written::Gone => {}
        }
    }
    Ok(outcome)
}

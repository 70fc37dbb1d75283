//! "Last used" (time, client address, REST or Git) for tokens and app
//! passwords, without a database write on every request.
//!
//! Each app server writes a credential's first use at once (in the
//! background, so lists show it without delay), then at most once a minute:
//! later uses are only noted in memory, and a flusher writes the newest note
//! of each credential once its minute is up. At shutdown every pending note
//! is written, so the latest value is never lost. With several app servers
//! each keeps its own minute, so a credential in use on N servers gets at
//! most N writes a minute; a write never moves the stored value backwards.

use super::Db;
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
    /// When this server last wrote each credential (its use time).
    written: HashMap<Credential, i64>,
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

    /// Notes that `credential` was used at `at` (Unix seconds) from `addr`.
    /// Writes at once (in the background) if this server has not written it
    /// within the last minute; otherwise keeps it for the flusher.
    pub fn note(&self, credential: Credential, at: i64, addr: &str, via: Channel) {
        let this_use = Use {
            at,
            addr: addr.to_string(),
            via,
        };
        {
            let mut notes = self.lock();
            let due = notes
                .written
                .get(&credential)
                .is_none_or(|&last| at - last >= WRITE_INTERVAL_SECS);
            if !due {
                notes.pending.insert(credential, this_use);
                return;
            }
            notes.written.insert(credential, at);
            notes.pending.remove(&credential);
        }
        let db = self.db.clone();
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = write(&db, &[(credential, this_use.clone())]).await {
                tracing::warn!(error = %e, "could not record when a credential was last used; will retry");
                this.lock().pending.entry(credential).or_insert(this_use);
            }
        });
    }

    /// Writes the pending notes whose minute is up (all of them when `all`,
    /// as at shutdown) and returns how many were written. On failure the
    /// notes are kept for the next flush.
    pub async fn flush(&self, now: i64, all: bool) -> Result<usize, AppError> {
        let batch: Vec<(Credential, Use)> = {
            let mut notes = self.lock();
            let due: Vec<Credential> = notes
                .pending
                .keys()
                .copied()
                .filter(|c| {
                    all || notes
                        .written
                        .get(c)
                        .is_none_or(|&last| now - last >= WRITE_INTERVAL_SECS)
                })
                .collect();
            let batch: Vec<(Credential, Use)> = due
                .into_iter()
                .filter_map(|c| notes.pending.remove(&c).map(|u| (c, u)))
                .collect();
            for (credential, _) in &batch {
                notes.written.insert(*credential, now);
            }
            // Forget credentials quiet for a minute: their next use is due anyway.
            let Notes { pending, written } = &mut *notes;
            written.retain(|c, last| now - *last < WRITE_INTERVAL_SECS || pending.contains_key(c));
            batch
        };
        if batch.is_empty() {
            return Ok(0);
        }
        if let Err(e) = write(&self.db, &batch).await {
            let mut notes = self.lock();
            for (credential, this_use) in batch {
                // A newer note taken meanwhile wins.
                notes.pending.entry(credential).or_insert(this_use);
            }
            return Err(e);
        }
        Ok(batch.len())
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

/// One transaction for the batch; a use never replaces a later one (another
/// app server may have written it).
async fn write(db: &Db, batch: &[(Credential, Use)]) -> Result<(), AppError> {
    let mut tx = db.pool.begin().await?;
    for (credential, this_use) in batch {
        let (sql, id) = match credential {
            Credential::Token(id) => (
                "UPDATE access_tokens SET last_used_at = $1, last_used_addr = $2, last_used_via = $3 \
                 WHERE id = $4 AND (last_used_at IS NULL OR last_used_at <= $1)",
                id,
            ),
            Credential::AppPassword(id) => (
                "UPDATE app_passwords SET last_used_at = $1, last_used_addr = $2, last_used_via = $3 \
                 WHERE id = $4 AND (last_used_at IS NULL OR last_used_at <= $1)",
                id,
            ),
        };
        sqlx::query(sql)
            .bind(this_use.at)
            .bind(&this_use.addr)
            .bind(this_use.via.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

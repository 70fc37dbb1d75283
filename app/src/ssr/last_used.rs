//! "Last used" (time and client address) for tokens, without a database write
//! on every request: requests note their token here, in memory, and the
//! notes are written in one batch a minute (so at most one write per token
//! per minute from each app server) and once more at shutdown, so the latest
//! value is never lost.

use super::Db;
use crate::error::AppError;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// How often the notes are written.
pub const FLUSH_INTERVAL_SECS: u64 = 60;

#[derive(Clone, Default)]
pub struct LastUsed {
    pending: Arc<Mutex<HashMap<i64, (i64, String)>>>,
}

impl LastUsed {
    /// Notes that token `id` was used at `at` (Unix seconds) from `addr`.
    pub fn note(&self, id: i64, at: i64, addr: &str) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.insert(id, (at, addr.to_string()));
    }

    /// Writes every note taken since the last flush. A note never moves a
    /// token's last use backwards (another app server may have written a
    /// later one). On failure the notes are kept for the next flush.
    pub async fn flush(&self, db: &Db) -> Result<usize, AppError> {
        let batch: Vec<(i64, (i64, String))> = {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.drain().collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let written = batch.len();
        let result = async {
            let mut tx = db.pool.begin().await?;
            for (id, (at, addr)) in &batch {
                sqlx::query(
                    "UPDATE access_tokens SET last_used_at = $1, last_used_addr = $2 \
                     WHERE id = $3 AND (last_used_at IS NULL OR last_used_at <= $1)",
                )
                .bind(at)
                .bind(addr)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        }
        .await;
        if let Err(e) = result {
            let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            for (id, note) in batch {
                // A newer note taken meanwhile wins.
                pending.entry(id).or_insert(note);
            }
            return Err(e.into());
        }
        Ok(written)
    }

    /// Flushes every [`FLUSH_INTERVAL_SECS`] until the process ends.
    pub fn spawn_flusher(&self, db: Db) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(FLUSH_INTERVAL_SECS));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = this.flush(&db).await {
                    tracing::warn!(error = %e, "could not record when tokens were last used; will retry");
                }
            }
        });
    }
}

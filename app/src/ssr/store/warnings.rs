//! Warnings before expiry: the stored ladders, the sweep that claims due
//! thresholds, and the email outbox.
//!
//! Each token row says which threshold it was last warned about
//! (`warned_days`) and when the sweep should look at it next
//! (`next_warning_at`, indexed: a sweep reads only due rows). A sweep
//! claims a token's threshold by moving `next_warning_at` with a
//! conditional update, in the same transaction that queues the threshold's
//! emails and webhook deliveries: two app servers never queue one
//! threshold twice, and a crash before the commit loses nothing (the token
//! is still due). After downtime only the nearest passed threshold is due
//! (the rules crate's `Ladder::due`).

use super::error::*;
use super::ladders::{ladders_changed, Ladders};
use super::{policies, tokens, webhooks};
use crate::{
    model::{ExpiringNotice, TokenView},
    ssr::{db::Db, events::EventBody},
};
use sqlx::AnyConnection;
use std::collections::HashMap;
use tokenwarden::{
    warnings::{Ladder, Threshold},
    webhooks::{next_attempt, RETRY_FOR_SECS},
};

/// Where warning days are set: the system's ladder, or a workspace's
/// additions and its time zone.
pub enum WarningsOf {
    System,
    Workspace { id: i64, slug: String },
}

/// The warning settings as stored: the days (the system's list, or a
/// workspace's additions) and, for a workspace, its time zone.
pub async fn settings(db: &Db, of: &WarningsOf) -> Result<(Ladders, Option<String>), StoreError> {
    let mut conn = db.pool.acquire().await?;
    let ladders = Ladders::read(&mut conn).await?;
    let zone = match of {
        WarningsOf::System => None,
        WarningsOf::Workspace { id, .. } => Some(time_zone(&mut conn, *id).await?),
    };
    Ok((ladders, zone))
}

async fn time_zone(conn: &mut AnyConnection, workspace_id: i64) -> Result<String, StoreError> {
    let (zone,): (String,) = sqlx::query_as("SELECT time_zone FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(conn)
        .await?;
    Ok(zone)
}

/// Saves warning days (and a workspace's time zone, `None`: unchanged);
/// existing tokens then follow the new ladder. Audited, and told to
/// `policy.changed` webhooks, in the same transaction.
pub async fn set(
    db: &Db,
    actor: &crate::model::CurrentUser,
    client_addr: &str,
    of: WarningsOf,
    days: &Ladder,
    zone: Option<&str>,
) -> Result<(), StoreError> {
    let mut tx = db.pool.begin().await?;
    policies::lock(&mut tx).await?;
    let ladders = Ladders::read(&mut tx).await?;
    let now = crate::ssr::db::now();
    let (before, workspace_id, scope) = match &of {
        WarningsOf::System => {
            sqlx::query("UPDATE system_policy SET warning_days = $1 WHERE id = 1")
                .bind(days.to_string())
                .execute(&mut *tx)
                .await?;
            (ladders.system.clone(), None, "system".to_string())
        }
        WarningsOf::Workspace { id, slug } => {
            sqlx::query("UPDATE workspaces SET extra_warning_days = $1 WHERE id = $2")
                .bind(days.to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            (ladders.extra(*id), Some(*id), slug.clone())
        }
    };
    let mut changes = Vec::new();
    if before != *days {
        ladders_changed(&mut tx, workspace_id, now).await?;
        changes.push(format!("warning days {} → {}", before.describe(), days.describe()));
    }
    if let (Some(id), Some(zone)) = (workspace_id, zone) {
        let zone_before = time_zone(&mut tx, id).await?;
        if zone_before != zone {
            sqlx::query("UPDATE workspaces SET time_zone = $1 WHERE id = $2")
                .bind(zone)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            changes.push(format!("time zone {zone_before} → {zone}"));
        }
    }
    if !changes.is_empty() {
        let change = changes.join("; ");
        super::audit::record(
            &mut tx,
            super::audit::Entry {
                actor: actor.into(),
                client_addr,
                action: "warnings changed",
                workspace_id,
                token_id: None,
                target: scope.clone(),
                details: change.clone(),
            },
        )
        .await?;
        let body = EventBody::policy(scope, change, now);
        webhooks::enqueue(
            &mut tx,
            workspace_id,
            tokenwarden::webhooks::Event::PolicyChanged,
            &body,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A token whose next look is due.
#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    workspace_id: Option<i64>,
    created_at: i64,
    expires_at: Option<i64>,
    warned_days: Option<i64>,
    next_warning_at: i64,
}

/// What a sweep writes to one due token's row.
struct Plan {
    row: DueRow,
    threshold: Option<Threshold>,
    /// The threshold the row records as last warned about.
    warned: Option<Threshold>,
    next: Option<i64>,
}

/// Moves each planned row on, in one statement, if its `next_warning_at`
/// is still what the sweep read (a conditional update only one sweep can
/// win per row; a revoked token is never claimed). Returns the ids won.
async fn claim(conn: &mut AnyConnection, plans: &[Plan]) -> Result<std::collections::HashSet<i64>, StoreError> {
    // CASE id WHEN $id THEN $value …: one statement for the batch. CAST, so
    // PostgreSQL knows the parameters' type.
    let case = |first: usize| {
        let arms: Vec<String> = (0..plans.len())
            .map(|i| format!("WHEN ${} THEN CAST(${} AS BIGINT)", 4 * i + 1, 4 * i + first))
            .collect();
        format!("CASE id {} END", arms.join(" "))
    };
    let ids: Vec<String> = (0..plans.len()).map(|i| format!("${}", 4 * i + 1)).collect();
    let sql = format!(
        "UPDATE access_tokens SET warned_days = {}, next_warning_at = {} \
         WHERE id IN ({}) AND revoked_at IS NULL AND next_warning_at = {} RETURNING id",
        case(2),
        case(3),
        ids.join(", "),
        case(4)
    );
    let mut query = sqlx::query_as::<_, (i64,)>(&sql);
    for plan in plans {
        query = query
            .bind(plan.row.id)
            .bind(plan.warned.map(|t| i64::from(t.days())))
            .bind(plan.next)
            .bind(plan.row.next_warning_at);
    }
    Ok(query.fetch_all(conn).await?.into_iter().map(|(id,)| id).collect())
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Tokens whose next look was due.
    pub looked_at: usize,
    /// Thresholds claimed (one per token at most).
    pub warnings: usize,
    pub emails: usize,
    pub deliveries: usize,
}

/// One sweep over up to `batch` due tokens at `now`: claims each one's due
/// threshold and queues its emails (when `email`) and webhook deliveries.
pub async fn sweep(db: &Db, now: i64, batch: i64, email: bool) -> Result<SweepReport, StoreError> {
    let mut tx = db.pool.begin().await?;
    // Write first (SQLite cannot upgrade a read transaction once another
    // connection wrote), and one sweep at a time against token creation.
    policies::lock(&mut tx).await?;
    let ladders = Ladders::read(&mut tx).await?;
    let due: Vec<DueRow> = sqlx::query_as(
        "SELECT id, workspace_id, created_at, expires_at, warned_days, next_warning_at FROM access_tokens \
         WHERE next_warning_at IS NOT NULL AND next_warning_at <= $1 ORDER BY next_warning_at LIMIT $2",
    )
    .bind(now)
    .bind(batch)
    .fetch_all(&mut *tx)
    .await?;
    let mut report = SweepReport {
        looked_at: due.len(),
        ..SweepReport::default()
    };
    // What each due token's row becomes: the threshold now due (if any)
    // and when to look next.
    let mut plans: Vec<Plan> = Vec::with_capacity(due.len());
    for row in due {
        let last = row
            .warned_days
            .map(|d| Threshold::from_days(u32::try_from(d).unwrap_or(0)));
        let (threshold, next) = match row.expires_at {
            None => (None, None),
            Some(expires_at) => {
                let ladder = ladders.for_workspace(row.workspace_id);
                let threshold = ladder.due(now, row.created_at, expires_at, last);
                let finished = threshold == Some(Threshold::AtExpiry) || last == Some(Threshold::AtExpiry);
                let next = (!finished)
                    .then(|| ladder.next(now, row.created_at, expires_at).map(|(_, at)| at))
                    .flatten();
                (threshold, next)
            }
        };
        plans.push(Plan {
            row,
            warned: threshold.or(last),
            threshold,
            next,
        });
    }
    let mut claimed: Vec<(i64, Option<i64>, Threshold)> = Vec::new();
    for chunk in plans.chunks(500) {
        let won = claim(&mut tx, chunk).await?;
        claimed.extend(
            chunk
                .iter()
                .filter(|p| won.contains(&p.row.id))
                .filter_map(|p| p.threshold.map(|t| (p.row.id, p.row.workspace_id, t))),
        );
    }
    report.warnings = claimed.len();
    if claimed.is_empty() {
        tx.commit().await?;
        return Ok(report);
    }
    let ids: Vec<i64> = claimed.iter().map(|c| c.0).collect();
    let threshold_of: HashMap<i64, Threshold> = claimed.iter().map(|c| (c.0, c.2)).collect();
    let workspace_of: HashMap<i64, Option<i64>> = claimed.iter().map(|c| (c.0, c.1)).collect();
    if email {
        let recipients = recipients_of(&mut tx, &ids).await?;
        let rows: Vec<(i64, i64, i64)> = recipients
            .into_iter()
            .map(|r| (r.token_id, i64::from(threshold_of[&r.token_id].days()), r.user_id))
            .collect();
        for chunk in rows.chunks(200) {
            let values: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${}, $1, $1)", 3 * i + 2, 3 * i + 3, 3 * i + 4))
                .collect();
            let sql = format!(
                "INSERT INTO warning_emails (token_id, threshold_days, user_id, created_at, next_attempt_at) \
                 VALUES {} ON CONFLICT (token_id, about, threshold_days, user_id) DO NOTHING",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(now);
            for (token_id, days, user_id) in chunk {
                query = query.bind(*token_id).bind(*days).bind(*user_id);
            }
            report.emails += query.execute(&mut *tx).await?.rows_affected() as usize;
        }
    }
    let subscriptions = webhooks::subscriptions(&mut tx).await?;
    if !subscriptions.is_empty() {
        let mut queued = Vec::new();
        for view in tokens::views(&mut tx, &ids).await? {
            let threshold = threshold_of[&view.id];
            let body = EventBody::warning(&view, threshold, now);
            let event = EventBody::warning_event(threshold);
            queued.extend(webhooks::addressed(
                &subscriptions,
                workspace_of[&view.id],
                event,
                &body,
            ));
        }
        report.deliveries += webhooks::insert(&mut tx, &queued, now).await?;
    }
    tx.commit().await?;
    Ok(report)
}

/// An email other than a rung of the ladder, and its once-only key.
#[derive(Debug, Clone, Copy)]
pub enum NoticeKey {
    /// The token, rotated away, was used after its overlap (once per token).
    Reuse,
    /// A policy moved the token's expiry to `expires_at` (once per new date).
    Applied { expires_at: i64 },
}

/// Queues `key`'s email about token `id`, once per recipient, to those
/// warned about it. (`WHERE 1 = 1`: SQLite reads `ON CONFLICT` after a bare
/// `FROM` as part of a join.)
pub(super) async fn queue_notice_emails(
    conn: &mut AnyConnection,
    id: i64,
    key: NoticeKey,
    now: i64,
) -> Result<u64, StoreError> {
    let (about, discriminator) = match key {
        NoticeKey::Reuse => ("reuse", 0),
        NoticeKey::Applied { expires_at } => ("applied", expires_at.div_euclid(86_400)),
    };
    let sql = format!(
        "INSERT INTO warning_emails (token_id, about, threshold_days, user_id, created_at, next_attempt_at) \
         SELECT r.token_id, $3, $4, r.user_id, $2, $2 FROM ({}) r WHERE 1 = 1 \
         ON CONFLICT (token_id, about, threshold_days, user_id) DO NOTHING",
        recipients_sql("t.id = $1")
    );
    Ok(sqlx::query(&sql)
        .bind(id)
        .bind(now)
        .bind(about)
        .bind(discriminator)
        .execute(conn)
        .await?
        .rows_affected())
}

/// Who is warned about a token: a personal token's owner; for a workspace,
/// project or repository token, that resource's admins (the workspace's
/// admins when a project or repository has none of its own) and its
/// creator while still a member of the workspace.
/// `filter` selects tokens (alias `t`); its parameters are bound by the caller.
fn recipients_sql(filter: &str) -> String {
    format!(
        "SELECT t.id AS token_id, t.user_id AS user_id FROM access_tokens t \
           WHERE {filter} AND t.kind = 'personal' AND t.user_id IS NOT NULL \
         UNION SELECT t.id, t.created_by FROM access_tokens t \
           WHERE {filter} AND t.kind <> 'personal' AND EXISTS (SELECT 1 FROM workspace_members c \
             WHERE c.workspace_id = t.workspace_id AND c.user_id = t.created_by) \
         UNION SELECT t.id, m.user_id FROM access_tokens t \
           JOIN workspace_members m ON m.workspace_id = t.workspace_id AND m.role = 'admin' \
           WHERE {filter} AND (t.kind = 'workspace' \
             OR (t.kind = 'project' AND NOT EXISTS (SELECT 1 FROM project_admins a WHERE a.project_id = t.project_id)) \
             OR (t.kind = 'repository' AND NOT EXISTS \
               (SELECT 1 FROM repository_admins a WHERE a.repository_id = t.repository_id))) \
         UNION SELECT t.id, a.user_id FROM access_tokens t JOIN project_admins a ON a.project_id = t.project_id \
           WHERE {filter} AND t.kind = 'project' \
         UNION SELECT t.id, a.user_id FROM access_tokens t \
           JOIN repository_admins a ON a.repository_id = t.repository_id \
           WHERE {filter} AND t.kind = 'repository'"
    )
}

#[derive(sqlx::FromRow)]
struct Recipient {
    token_id: i64,
    user_id: i64,
}

async fn recipients_of(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Recipient>, StoreError> {
    let mut all = Vec::new();
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = recipients_sql(&format!("t.id IN ({})", list.join(", ")));
        let mut query = sqlx::query_as::<_, Recipient>(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        all.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(all)
}

/// The banner's count: unrevoked tokens `user_id` is warned about that
/// expire after `now` and by `until`, with the one expiring first.
pub async fn expiring_for(db: &Db, user_id: i64, now: i64, until: i64) -> Result<Option<(i64, TokenView)>, StoreError> {
    let sql = format!(
        "SELECT r.token_id, r.user_id FROM ({}) r WHERE r.user_id = $3",
        // A token already replaced (rotated) needs no replacing.
        recipients_sql("t.revoked_at IS NULL AND t.rotated_to IS NULL AND t.expires_at > $1 AND t.expires_at <= $2")
    );
    let rows: Vec<Recipient> = sqlx::query_as(&sql)
        .bind(now)
        .bind(until)
        .bind(user_id)
        .fetch_all(&db.pool)
        .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.token_id).collect();
    let mut conn = db.pool.acquire().await?;
    let first = tokens::views(&mut conn, &ids)
        .await?
        .into_iter()
        .min_by_key(|t| t.expires_at.unwrap_or(i64::MAX));
    Ok(first.map(|t| (ids.len() as i64, t)))
}

/// The banner's wording of [`expiring_for`]'s answer, with where to act.
pub fn notice(count: i64, first: TokenView) -> ExpiringNotice {
    let first_link = first.page();
    ExpiringNotice {
        count,
        first_name: first.name,
        first_expires_at: first.expires_at.unwrap_or_default(),
        first_link,
    }
}

/// What an email is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A threshold of the warning ladder.
    Expiry(Threshold),
    /// The token, rotated away, was presented after its overlap.
    Reuse,
    /// A tightened policy moved the token's expiry.
    PolicyApplied,
}

/// A warning email a sender has claimed, with what it needs to write it.
pub struct EmailJob {
    pub id: i64,
    pub to_email: String,
    pub to_name: String,
    pub notice: Notice,
    pub token: TokenView,
    /// The token's workspace's time zone (IANA name), `UTC` for personal tokens.
    pub time_zone: String,
    attempts: i64,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct EmailRow {
    id: i64,
    token_id: i64,
    about: String,
    threshold_days: i64,
    attempts: i64,
    created_at: i64,
    email: String,
    display_name: String,
    time_zone: Option<String>,
}

/// Claims up to `limit` warning emails due at `now` (see
/// [`webhooks::claim`]: a lease, won by one sender).
pub async fn claim_emails(db: &Db, now: i64, limit: i64) -> Result<Vec<EmailJob>, StoreError> {
    let mut jobs = Vec::new();
    for id in webhooks::lease(db, webhooks::Outbox::WarningEmails, now, limit).await? {
        // Gone meanwhile (its token or recipient deleted): nothing to send.
        let Some(row): Option<EmailRow> = sqlx::query_as(
            "SELECT e.id, e.token_id, e.about, e.threshold_days, e.attempts, e.created_at, u.email, u.display_name, \
             w.time_zone FROM warning_emails e JOIN users u ON u.id = e.user_id \
             JOIN access_tokens t ON t.id = e.token_id LEFT JOIN workspaces w ON w.id = t.workspace_id \
             WHERE e.id = $1",
        )
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        else {
            continue;
        };
        let Some(token) = tokens::find_view(db, row.token_id).await? else {
            continue;
        };
        jobs.push(EmailJob {
            id: row.id,
            to_email: row.email,
            to_name: row.display_name,
            notice: match row.about.as_str() {
                "reuse" => Notice::Reuse,
                "applied" => Notice::PolicyApplied,
                _ => Notice::Expiry(Threshold::from_days(u32::try_from(row.threshold_days).unwrap_or(0))),
            },
            token,
            time_zone: row.time_zone.unwrap_or_else(|| "UTC".into()),
            attempts: row.attempts,
            created_at: row.created_at,
        });
    }
    Ok(jobs)
}

/// How sending one email went.
pub enum EmailOutcome {
    Sent,
    /// Not sent and never will be: the token was revoked meanwhile.
    Dropped,
    /// Tried again after a backoff, for a day.
    Failed(String),
}

pub async fn finish_email(db: &Db, job: &EmailJob, outcome: EmailOutcome, now: i64) -> Result<(), StoreError> {
    let (state, next, error) = match outcome {
        EmailOutcome::Sent => ("sent", now, None),
        EmailOutcome::Dropped => ("dropped", now, None),
        EmailOutcome::Failed(error) => {
            let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
            match next_attempt(now, attempts, job.created_at + RETRY_FOR_SECS) {
                Some(at) => ("pending", at, Some(error)),
                None => ("failed", now, Some(error)),
            }
        }
    };
    sqlx::query(
        "UPDATE warning_emails SET state = $1, next_attempt_at = $2, lease_until = 0, last_error = $3, \
         sent_at = $4 WHERE id = $5",
    )
    .bind(state)
    .bind(next)
    .bind(error.map(|e| e.chars().take(300).collect::<String>()))
    .bind((state == "sent").then_some(now))
    .bind(job.id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

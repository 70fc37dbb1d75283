//! Webhooks and their delivery log, an outbox: an event's deliveries are
//! inserted in the transaction that makes the change (a token created or
//! revoked, a policy saved, a warning claimed), so there is no change
//! without its deliveries and no delivery without its change. Senders
//! claim a delivery with a lease before sending: two app servers never
//! send one at once, and one that dies mid-send leaves it to be claimed
//! again when the lease ends.

use super::audit::{self, Entry};
use super::error::*;
use crate::{
    model::{CurrentUser, DeliveryView, WebhookView},
    ssr::{db::Db, events::EventBody},
};
use rand::RngCore;
use sqlx::AnyConnection;
use tokenwarden::webhooks::{next_attempt, Event, RETRY_FOR_SECS};

/// How long a sender may hold a claimed delivery before another may take it.
pub const LEASE_SECS: i64 = 120;

pub struct NewWebhook<'a> {
    /// `None`: the whole instance's (system admins).
    pub workspace_id: Option<i64>,
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a [Event],
    pub actor: &'a CurrentUser,
    pub client_addr: &'a str,
}

fn event_names(events: &[Event]) -> String {
    events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(" ")
}

pub async fn create(db: &Db, new: NewWebhook<'_>) -> Result<i64, StoreError> {
    let mut tx = db.pool.begin().await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO webhooks (workspace_id, url, secret, events, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(new.workspace_id)
    .bind(new.url)
    .bind(new.secret)
    .bind(event_names(new.events))
    .bind(new.actor.id)
    .bind(crate::ssr::db::now())
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        Entry {
            actor: new.actor.into(),
            client_addr: new.client_addr,
            action: "webhook added",
            workspace_id: new.workspace_id,
            token_id: None,
            target: format!("webhook #{id} {}", new.url),
            details: format!("events {}", event_names(new.events)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Which workspace a webhook belongs to (`Some(None)`: the instance's).
pub async fn owner_of(db: &Db, id: i64) -> Result<Option<Option<i64>>, StoreError> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT workspace_id FROM webhooks WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.map(|(ws,)| ws))
}

pub async fn delete(db: &Db, id: i64, actor: &CurrentUser, client_addr: &str) -> Result<(), StoreError> {
    let mut tx = db.pool.begin().await?;
    let row: Option<(Option<i64>, String)> =
        sqlx::query_as("DELETE FROM webhooks WHERE id = $1 RETURNING workspace_id, url")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((workspace_id, url)) = row else {
        return Err(StoreError::NotFound(Record::Webhook));
    };
    audit::record(
        &mut tx,
        Entry {
            actor: actor.into(),
            client_addr,
            action: "webhook removed",
            workspace_id,
            token_id: None,
            target: format!("webhook #{id} {url}"),
            details: String::new(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: i64,
    url: String,
    events: String,
    created_by: Option<String>,
    created_at: i64,
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: i64,
    delivery_id: String,
    event: String,
    created_at: i64,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    last_attempt_at: Option<i64>,
    last_status: Option<i64>,
    last_error: Option<String>,
}

/// A workspace's webhooks (or the instance's), each with its latest
/// `log_len` deliveries.
pub async fn list(db: &Db, workspace_id: Option<i64>, log_len: i64) -> Result<Vec<WebhookView>, StoreError> {
    let rows: Vec<WebhookRow> = sqlx::query_as(
        "SELECT h.id, h.url, h.events, u.username AS created_by, h.created_at FROM webhooks h \
         LEFT JOIN users u ON u.id = h.created_by \
         WHERE ($1 = 0 AND h.workspace_id IS NULL) OR h.workspace_id = $2 ORDER BY h.id",
    )
    .bind(workspace_id.is_some() as i64)
    .bind(workspace_id.unwrap_or(0))
    .fetch_all(&db.pool)
    .await?;
    let mut hooks = Vec::with_capacity(rows.len());
    for row in rows {
        let deliveries: Vec<DeliveryRow> = sqlx::query_as(
            "SELECT id, delivery_id, event, created_at, state, attempts, next_attempt_at, \
             last_attempt_at, last_status, last_error FROM webhook_deliveries WHERE webhook_id = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(row.id)
        .bind(log_len)
        .fetch_all(&db.pool)
        .await?;
        hooks.push(WebhookView {
            id: row.id,
            url: row.url,
            events: row.events.split_whitespace().map(String::from).collect(),
            created_by: row.created_by,
            created_at: row.created_at,
            deliveries: deliveries.into_iter().map(DeliveryRow::view).collect(),
        });
    }
    Ok(hooks)
}

impl DeliveryRow {
    fn view(self) -> DeliveryView {
        let pending = self.state == "pending";
        DeliveryView {
            id: self.id,
            delivery_id: self.delivery_id,
            event: self.event,
            created_at: self.created_at,
            state: self.state,
            attempts: self.attempts,
            last_attempt_at: self.last_attempt_at,
            last_status: self.last_status,
            last_error: self.last_error,
            next_attempt_at: pending.then_some(self.next_attempt_at),
        }
    }
}

/// Sends a delivery again, at once, with the same id and body; a new day
/// of retries if this one fails too.
pub async fn redeliver(db: &Db, webhook_id: i64, delivery: i64, now: i64) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1, lease_until = 0, give_up_at = $2 \
         WHERE id = $3 AND webhook_id = $4",
    )
    .bind(now)
    .bind(now + RETRY_FOR_SECS)
    .bind(delivery)
    .bind(webhook_id)
    .execute(&db.pool)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound(Record::Delivery));
    }
    Ok(())
}

/// A webhook an event may go to.
#[derive(sqlx::FromRow, Clone)]
pub struct Subscription {
    id: i64,
    workspace_id: Option<i64>,
    events: String,
}

impl Subscription {
    fn wants(&self, event: Event, workspace_id: Option<i64>) -> bool {
        (self.workspace_id.is_none() || self.workspace_id == workspace_id)
            && self.events.split_whitespace().any(|e| e == event.as_str())
    }
}

/// Every webhook, to match many events against in one transaction.
pub async fn subscriptions(conn: &mut AnyConnection) -> Result<Vec<Subscription>, StoreError> {
    Ok(sqlx::query_as("SELECT id, workspace_id, events FROM webhooks")
        .fetch_all(conn)
        .await?)
}

/// A random id in the shape of a UUID (version 4).
fn delivery_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// One delivery to queue: the webhook, the event, the body.
pub struct Queued {
    webhook_id: i64,
    event: Event,
    body: std::sync::Arc<str>,
}

/// The deliveries of `body` to every webhook of `workspace_id` (and of the
/// instance) subscribed to its event.
pub fn addressed(
    subscriptions: &[Subscription],
    workspace_id: Option<i64>,
    event: Event,
    body: &EventBody,
) -> Vec<Queued> {
    let wanted: Vec<i64> = subscriptions
        .iter()
        .filter(|s| s.wants(event, workspace_id))
        .map(|s| s.id)
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let body: std::sync::Arc<str> = body.to_json().into();
    wanted
        .into_iter()
        .map(|webhook_id| Queued {
            webhook_id,
            event,
            body: body.clone(),
        })
        .collect()
}

/// Inserts deliveries in the caller's transaction, many per statement.
pub async fn insert(conn: &mut AnyConnection, queued: &[Queued], now: i64) -> Result<usize, StoreError> {
    for chunk in queued.chunks(100) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "(${}, ${}, ${}, ${}, $1, $1, $2)",
                    4 * i + 3,
                    4 * i + 4,
                    4 * i + 5,
                    4 * i + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO webhook_deliveries (webhook_id, delivery_id, event, body, created_at, next_attempt_at, \
             give_up_at) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(now).bind(now + RETRY_FOR_SECS);
        for q in chunk {
            query = query
                .bind(q.webhook_id)
                .bind(delivery_id())
                .bind(q.event.as_str())
                .bind(q.body.to_string());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(queued.len())
}

/// Queues `body` for every webhook of `workspace_id` (and of the instance)
/// subscribed to its event, in the caller's transaction.
pub async fn enqueue_to(
    conn: &mut AnyConnection,
    subscriptions: &[Subscription],
    workspace_id: Option<i64>,
    event: Event,
    body: &EventBody,
    now: i64,
) -> Result<usize, StoreError> {
    let queued = addressed(subscriptions, workspace_id, event, body);
    insert(conn, &queued, now).await
}

/// [`enqueue_to`] for one event, reading the subscriptions first.
pub async fn enqueue(
    conn: &mut AnyConnection,
    workspace_id: Option<i64>,
    event: Event,
    body: &EventBody,
    now: i64,
) -> Result<usize, StoreError> {
    let subscriptions = subscriptions(&mut *conn).await?;
    enqueue_to(conn, &subscriptions, workspace_id, event, body, now).await
}

/// A delivery a sender has claimed, with what it needs to send it.
#[derive(sqlx::FromRow)]
pub struct DeliveryJob {
    pub id: i64,
    pub delivery_id: String,
    pub event: String,
    pub body: String,
    pub url: String,
    pub secret: String,
    pub attempts: i64,
    pub give_up_at: i64,
}

impl std::fmt::Debug for DeliveryJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryJob")
            .field("id", &self.id)
            .field("delivery_id", &self.delivery_id)
            .field("event", &self.event)
            .field("url", &self.url)
            .field("secret", &"<hidden>")
            .finish()
    }
}

/// Claims up to `limit` deliveries due at `now`: each is leased to this
/// sender (and counted as tried) by a conditional update that only one
/// sender can win.
pub async fn claim(db: &Db, now: i64, limit: i64) -> Result<Vec<DeliveryJob>, StoreError> {
    let mut jobs = Vec::new();
    for id in lease(db, Outbox::WebhookDeliveries, now, limit).await? {
        let job: Option<DeliveryJob> = sqlx::query_as(
            "SELECT d.id, d.delivery_id, d.event, d.body, h.url, h.secret, d.attempts, d.give_up_at \
             FROM webhook_deliveries d JOIN webhooks h ON h.id = d.webhook_id WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
        jobs.extend(job);
    }
    Ok(jobs)
}

/// The two outboxes: warning emails and webhook deliveries.
#[derive(Clone, Copy)]
pub(super) enum Outbox {
    WarningEmails,
    WebhookDeliveries,
}

/// Leases up to `limit` pending messages of `outbox` due at `now` to this
/// sender for [`LEASE_SECS`], counting each as tried: each by a conditional
/// update only one sender can win. Returns the ids won.
pub(super) async fn lease(db: &Db, outbox: Outbox, now: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
    let table = match outbox {
        Outbox::WarningEmails => "warning_emails",
        Outbox::WebhookDeliveries => "webhook_deliveries",
    };
    let candidates: Vec<(i64,)> = sqlx::query_as(&format!(
        "SELECT id FROM {table} WHERE state = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1 \
         ORDER BY next_attempt_at LIMIT $2"
    ))
    .bind(now)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut won = Vec::new();
    for (id,) in candidates {
        let update = sqlx::query(&format!(
            "UPDATE {table} SET lease_until = $1, attempts = attempts + 1, last_attempt_at = $2 \
             WHERE id = $3 AND state = 'pending' AND lease_until <= $2"
        ))
        .bind(now + LEASE_SECS)
        .bind(now)
        .bind(id)
        .execute(&db.pool)
        .await?;
        if update.rows_affected() == 1 {
            won.push(id);
        }
    }
    Ok(won)
}

/// How one try went.
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered { status: u16 },
    /// It answered something else, or could not be reached.
    Failed { status: Option<u16>, error: String },
}

/// Records a try: delivered, or due again after a backoff, or given up on.
pub async fn finish(db: &Db, job: &DeliveryJob, outcome: Outcome, now: i64) -> Result<(), StoreError> {
    match outcome {
        Outcome::Delivered { status } => {
            sqlx::query(
                "UPDATE webhook_deliveries SET state = 'delivered', last_status = $1, last_error = NULL, \
                 lease_until = 0 WHERE id = $2",
            )
            .bind(i64::from(status))
            .bind(job.id)
            .execute(&db.pool)
            .await?;
        }
        Outcome::Failed { status, error } => {
            let attempts = u32::try_from(job.attempts).unwrap_or(u32::MAX);
            let next = next_attempt(now, attempts, job.give_up_at);
            sqlx::query(
                "UPDATE webhook_deliveries SET state = $1, next_attempt_at = $2, lease_until = 0, last_status = $3, \
                 last_error = $4 WHERE id = $5",
            )
            .bind(if next.is_some() { "pending" } else { "failed" })
            .bind(next.unwrap_or(now))
            .bind(status.map(i64::from))
            .bind(error.chars().take(300).collect::<String>())
            .bind(job.id)
            .execute(&db.pool)
            .await?;
        }
    }
    Ok(())
}

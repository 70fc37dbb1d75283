//! Slowing down guessing: passwords (web sign-in, and HTTP Basic on the
//! token-management API), app passwords, and the first-run setup code.
//!
//! Each attempt is counted *before* its secret is checked, in the same
//! database transaction that checks it may go ahead (holding the buckets'
//! row locks), so a burst of simultaneous attempts cannot all slip past the
//! check: they queue on the lock and each sees the ones before it. A success
//! releases its count. Buckets live in the database, so every app server
//! shares them.
//!
//! No hard lock: each bucket lets a few attempts through freely, then makes
//! the next one wait, the wait doubling with each further attempt up to a
//! ceiling ([`Backoff`]). An attempt that must wait is refused (429, "try
//! again in …") without being counted, so retrying early costs the user
//! nothing; the refusal is answered after a pause ([`REFUSAL_PAUSE`], no lock
//! held), so a client retrying in a tight loop costs the server next to
//! nothing either. A bucket forgets its count after a quiet day.
//!
//! Passwords are counted in three buckets: the account from this address
//! (the tight one), the account from anywhere (against many addresses), and
//! the address across accounts (against spraying). The account is the user
//! (username and email share it), or for a name no account has, the name
//! as typed, so unknown names are slowed exactly like real ones. An address
//! the account signed in from in the last 30 days skips the account-wide
//! bucket: an attacker elsewhere can slow guessing at the account, never
//! keep its owner out. README.md gives the figures this makes.

use super::{
    db::now,
    store::throttle::{self as store, Bucket},
    Db,
};
use crate::error::AppError;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicI64, Ordering};

/// How one bucket slows attempts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts let through before any wait.
    pub free: u32,
    /// The first wait, in seconds; each further attempt doubles it.
    pub first_delay_secs: i64,
    /// The longest wait, in seconds.
    pub max_delay_secs: i64,
}

impl Backoff {
    /// Seconds the next attempt must wait after `counted` attempts.
    pub fn delay_after(&self, counted: i64) -> i64 {
        let free = i64::from(self.free);
        if counted < free {
            return 0;
        }
        let doublings = (counted - free).min(32) as u32;
        self.first_delay_secs
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_secs)
    }

    /// How many attempts someone making each as soon as it is allowed gets
    /// within `secs` of the first (starting from a quiet bucket).
    pub fn attempts_within(&self, secs: i64) -> i64 {
        if self.first_delay_secs <= 0 || self.max_delay_secs <= 0 {
            return i64::MAX;
        }
        let (mut at, mut counted) = (0i64, 0i64);
        while at < secs {
            counted += 1;
            at += self.delay_after(counted);
        }
        counted
    }
}

#[derive(Debug, Clone)]
pub struct ThrottlePolicy {
    /// Passwords for one account from one address.
    pub account_from_address: Backoff,
    /// Passwords for one account from any address it has not signed in from.
    pub account: Backoff,
    /// Passwords from one address, whatever the account.
    pub address: Backoff,
    /// App passwords for one user from one address (each costs argon2).
    pub app_password: Backoff,
    /// Setup codes from one address.
    pub setup_code: Backoff,
    /// A bucket with no attempt for this long starts again from zero.
    pub forget_after_secs: i64,
    /// An address an account signed in from within this long skips the
    /// account-wide bucket.
    pub known_address_secs: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            account_from_address: Backoff {
                free: 5,
                first_delay_secs: 60,
                max_delay_secs: 3600,
            },
            account: Backoff {
                free: 10,
                first_delay_secs: 60,
                max_delay_secs: 900,
            },
            address: Backoff {
                free: 20,
                first_delay_secs: 1,
                max_delay_secs: 60,
            },
            app_password: Backoff {
                free: 10,
                first_delay_secs: 10,
                max_delay_secs: 600,
            },
            setup_code: Backoff {
                free: 10,
                first_delay_secs: 60,
                max_delay_secs: 3600,
            },
            forget_after_secs: 24 * 3600,
            known_address_secs: 30 * 24 * 3600,
        }
    }
}

/// Whose password is being tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Account {
    User(i64),
    /// A name no account has: slowed like a real one, so nothing tells them apart.
    Unknown(String),
}

impl Account {
    fn key(&self) -> String {
        match self {
            Account::User(id) => format!("user:{id}"),
            // Hashed: the bucket's name stays short whatever was typed.
            Account::Unknown(name) => format!(
                "name:{}",
                hex::encode(Sha256::digest(name.trim().to_lowercase().as_bytes()))
            ),
        }
    }
}

/// What is being attempted, from where.
#[derive(Debug, Clone)]
pub enum Subject<'a> {
    /// An account's password. `known_address`: the account signed in from
    /// this address recently (see [`ThrottlePolicy::known_address_secs`]).
    Password {
        account: Account,
        address: &'a str,
        known_address: bool,
    },
    /// An app password of `user_id`.
    AppPassword { user_id: i64, address: &'a str },
    /// The first-run setup code.
    SetupCode { address: &'a str },
}

/// What a success gives back in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    /// The secret is known from here: start this bucket afresh.
    Forget,
    /// Undo this attempt's count (others' attempts still count).
    Uncount { free: u32 },
}

/// An attempt that went ahead and was counted. Call [`succeeded`] if its
/// secret was right; a wrong one needs nothing more (it stays counted).
#[must_use = "a successful attempt must be released with `succeeded`"]
#[derive(Debug)]
pub struct Counted {
    buckets: Vec<(String, Release)>,
}

fn buckets(policy: &ThrottlePolicy, subject: &Subject<'_>) -> Vec<(String, Backoff, Release)> {
    let mut list = match subject {
        Subject::Password {
            account,
            address,
            known_address,
        } => {
            let account_key = account.key();
            let mut list = vec![
                (
                    format!("password:{account_key}@{address}"),
                    policy.account_from_address,
                    Release::Forget,
                ),
                (
                    format!("password-address:{address}"),
                    policy.address,
                    Release::Uncount {
                        free: policy.address.free,
                    },
                ),
            ];
            if !known_address {
                list.push((
                    format!("password:{account_key}"),
                    policy.account,
                    Release::Uncount {
                        free: policy.account.free,
                    },
                ));
            }
            list
        }
        Subject::AppPassword { user_id, address } => vec![(
            format!("app-password:user:{user_id}@{address}"),
            policy.app_password,
            Release::Forget,
        )],
        Subject::SetupCode { address } => vec![(format!("setup-code:{address}"), policy.setup_code, Release::Forget)],
    };
    // Locks are always taken in the same order.
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list
}

/// How long a refused attempt waits before its answer, at most (less if
/// the wait it is told of is shorter).
pub const REFUSAL_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// The refusal, after its pause: between half of [`REFUSAL_PAUSE`] and all
/// of it, at random, so that clients refused together do not all come back
/// together (a wave of them would queue for the database at once).
async fn refuse(wait_secs: i64) -> AppError {
    use rand::Rng;
    let longest = std::time::Duration::from_secs(wait_secs.max(0) as u64).min(REFUSAL_PAUSE);
    let pause = longest.mul_f64(rand::thread_rng().gen_range(0.5..=1.0));
    tokio::time::sleep(pause).await;
    AppError::TooManyAttempts {
        retry_after_secs: wait_secs.max(1) as u64,
    }
}

/// When this app server last dropped forgotten buckets.
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

/// Lets the attempt go ahead and counts it, or refuses it (429, not
/// counted) with how long to wait.
pub async fn attempt(db: &Db, policy: &ThrottlePolicy, subject: Subject<'_>) -> Result<Counted, AppError> {
    let now = now();
    let planned = buckets(policy, &subject);
    // Under a flood most attempts must wait: refuse those without a write.
    let keys: Vec<String> = planned.iter().map(|(key, _, _)| key.clone()).collect();
    let waiting = store::latest_next_at(db, &keys).await? - now;
    if waiting > 0 {
        return Err(refuse(waiting).await);
    }
    // The decision: under the buckets' locks, so concurrent attempts queue
    // and each sees those before it.
    let mut tx = db.pool.begin().await?;
    let mut locked = Vec::with_capacity(planned.len());
    for (key, backoff, release) in planned {
        let bucket = store::lock(&mut tx, &key).await?;
        locked.push((key, backoff, release, bucket));
    }
    let wait = locked
        .iter()
        .map(|(_, _, _, bucket)| bucket.next_at - now)
        .max()
        .unwrap_or(0);
    if wait > 0 {
        tx.rollback().await?;
        return Err(refuse(wait).await);
    }
    for (key, backoff, _, bucket) in &locked {
        let before = if now - bucket.last_at >= policy.forget_after_secs {
            0
        } else {
            bucket.failures
        };
        let failures = before + 1;
        store::store(
            &mut tx,
            key,
            &Bucket {
                failures,
                last_at: now,
                next_at: now + backoff.delay_after(failures),
            },
        )
        .await?;
    }
    tx.commit().await?;
    // At most once a minute per app server: drop the quiet buckets. Best
    // effort: the attempt is counted already, whatever happens here.
    let last = LAST_SWEEP.load(Ordering::Relaxed);
    if now - last >= 60
        && LAST_SWEEP
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    {
        if let Err(e) = store::forget_before(db, now - policy.forget_after_secs, now).await {
            tracing::warn!(error = %e, "could not drop quiet throttle buckets; will try again");
        }
    }
    Ok(Counted {
        buckets: locked.into_iter().map(|(key, _, release, _)| (key, release)).collect(),
    })
}

/// The attempt's secret was right: give back what it counted.
pub async fn succeeded(db: &Db, counted: Counted) -> Result<(), AppError> {
    let mut tx = db.pool.begin().await?;
    for (key, release) in &counted.buckets {
        match release {
            Release::Forget => store::delete(&mut tx, key).await?,
            Release::Uncount { free } => {
                let bucket = store::lock(&mut tx, key).await?;
                let failures = (bucket.failures - 1).max(0);
                let next_at = if failures < i64::from(*free) { 0 } else { bucket.next_at };
                store::store(
                    &mut tx,
                    key,
                    &Bucket {
                        failures,
                        next_at,
                        ..bucket
                    },
                )
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Whether `user_id` signed in from `address` recently enough to skip the
/// account-wide bucket.
pub async fn known_address(db: &Db, policy: &ThrottlePolicy, user_id: i64, address: &str) -> Result<bool, AppError> {
    Ok(store::signed_in_from(db, user_id, address, now() - policy.known_address_secs).await?)
}

/// Remembers a successful sign-in's address (see [`known_address`]).
pub async fn remember_sign_in(db: &Db, user_id: i64, address: &str) -> Result<(), AppError> {
    Ok(store::remember_sign_in(db, user_id, address, now()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_from_the_first_one_past_the_free_attempts() {
        let b = Backoff {
            free: 5,
            first_delay_secs: 60,
            max_delay_secs: 3600,
        };
        let waits: Vec<i64> = (1..=12).map(|n| b.delay_after(n)).collect();
        assert_eq!(waits, [0, 0, 0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(b.delay_after(1_000_000), 3600);
    }

    /// The figures README.md gives.
    #[test]
    fn guesses_a_day_as_the_readme_says() {
        let p = ThrottlePolicy::default();
        let day = 86_400;
        // One account from one address: the tight bucket binds.
        assert_eq!(p.account_from_address.attempts_within(day), 33);
        assert_eq!(day / p.account_from_address.max_delay_secs, 24);
        // From 1,000 addresses (each new to the account): the account-wide one.
        assert_eq!(p.account.attempts_within(day), 108);
        assert_eq!(day / p.account.max_delay_secs, 96);
        // From one address across accounts.
        assert_eq!(p.address.attempts_within(day), 1_464);
    }

    #[test]
    fn buckets_are_named_by_account_not_by_what_was_typed() {
        let p = ThrottlePolicy::default();
        let names = |account: Account, known_address| {
            buckets(
                &p,
                &Subject::Password {
                    account,
                    address: "203.0.113.9",
                    known_address,
                },
            )
            .into_iter()
            .map(|(k, _, _)| k)
            .collect::<Vec<_>>()
        };
        let alice = names(Account::User(7), false);
        assert_eq!(
            alice,
            [
                "password-address:203.0.113.9",
                "password:user:7",
                "password:user:7@203.0.113.9"
            ]
        );
        // An address the account signed in from skips the account-wide bucket.
        assert_eq!(names(Account::User(7), true).len(), 2);
        // Unknown names: the same bucket whatever the case or spaces.
        assert_eq!(
            names(Account::Unknown(" Ghost ".into()), false),
            names(Account::Unknown("ghost".into()), false)
        );
    }
}

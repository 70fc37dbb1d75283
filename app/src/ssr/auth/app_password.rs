//! Verifying legacy app passwords (HTTP Basic with the username) without
//! letting a flood of bad attempts burn the server's CPU.
//!
//! App passwords are stored with argon2id, which is slow on purpose, so:
//! - after the cutoff nothing is verified at all: every app password is
//!   refused with the retirement message;
//! - an unknown user, or one with no active app password, is refused before
//!   any argon2 work;
//! - attempts for one user from one address are counted before argon2 work
//!   is queued, in the database like sign-in (`throttle`): a flood from an
//!   address is refused (429) after a few attempts, for ever longer;
//! - one user's attempts hold at most [`AppPasswordVerifier::share`] of the
//!   workers at once (the rest of them wait their turn behind other users'),
//!   so a flood against one user, from however many addresses, leaves the
//!   other workers to everyone else;
//! - argon2 runs on a fixed number of worker threads, each resting three
//!   times as long as it worked (so at most a quarter of a core each,
//!   whatever the load): requests authenticated by token keep the rest of
//!   the CPU; attempts wait (costing nothing) for a worker, and give up with
//!   503 after [`WAIT_FOR_WORKER`]. The workers run at normal priority: a
//!   lower one (an earlier design used `SCHED_IDLE`) lets any busy moment,
//!   even a flood of refusals, starve every app password's verification;
//! - a successful verification is remembered for [`CACHE_TTL`] under a keyed
//!   hash of user and password, so a busy integration pays argon2 once. The
//!   cache only spares argon2: the app password's row and the schedule are
//!   read on every request, so a revocation or the cutoff applies at once,
//!   on every app server.

use super::principal::{AppPasswordPrincipal, AuthError};
use crate::error::AppError;
use crate::ssr::{
    db::now,
    last_used::{Channel, Credential, LastUsed},
    password::verify_blocking,
    store::{app_passwords, users},
    throttle::{self, Subject, ThrottlePolicy},
    Db,
};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        mpsc, Arc, Mutex,
    },
    time::{Duration, Instant},
};
use tokenwarden::app_passwords::{ClassicScope, Phase};
use tokio::sync::{oneshot, Semaphore};

/// How long an attempt waits for a free argon2 worker before a 503.
pub const WAIT_FOR_WORKER: Duration = Duration::from_secs(10);
/// How long a successful verification spares argon2 for the same password.
pub const CACHE_TTL: Duration = Duration::from_secs(300);
/// Remembered verifications at most (a few MB at worst).
const CACHE_CAPACITY: usize = 10_000;
/// A worker rests this many times as long as its last verification took.
const REST_PER_WORK: u32 = 3;
/// Longer input is never an app password; refused before argon2.
const MAX_PASSWORD_LEN: usize = 256;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct AppPasswordVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    workers: Semaphore,
    /// Most workers one user's attempts may hold at once.
    share: usize,
    /// Each user's share of the workers, while they have attempts waiting.
    per_user: Mutex<HashMap<i64, Arc<Semaphore>>>,
    jobs: Mutex<mpsc::Sender<Job>>,
    cache: Mutex<HashMap<[u8; 32], Verified>>,
    cache_key: [u8; 32],
    wait_for_worker: Duration,
    throttle: ThrottlePolicy,
    /// argon2 verifications run (one per candidate tried).
    verifications: AtomicU64,
}

struct Verified {
    app_password_id: i64,
    at: Instant,
}

impl AppPasswordVerifier {
    /// Starts `workers` argon2 threads; failed attempts are throttled under
    /// `throttle`'s app password limits.
    pub fn new(workers: usize, throttle: ThrottlePolicy) -> Self {
        Self::with_wait(workers, WAIT_FOR_WORKER, throttle)
    }

    fn with_wait(workers: usize, wait_for_worker: Duration, throttle: ThrottlePolicy) -> Self {
        let workers = workers.max(1);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..workers {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("app-password-{n}"))
                .spawn(move || {
                    loop {
                        let job = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        match job {
                            Ok(job) => {
                                let started = thread_cpu_time();
                                job();
                                std::thread::sleep(thread_cpu_time().saturating_sub(started) * REST_PER_WORK);
                            }
                            // The verifier is gone: the process is ending.
                            Err(_) => break,
                        }
                    }
                })
                .expect("start an app password worker thread");
        }
        let mut cache_key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut cache_key);
        AppPasswordVerifier {
            inner: Arc::new(Inner {
                workers: Semaphore::new(workers),
                share: Self::share(workers),
                per_user: Mutex::new(HashMap::new()),
                jobs: Mutex::new(sender),
                cache: Mutex::new(HashMap::new()),
                cache_key,
                wait_for_worker,
                throttle,
                verifications: AtomicU64::new(0),
            }),
        }
    }

    /// Most of `workers` one user's attempts may hold at once: half (at
    /// least one). Waiting attempts queue fairly (first come, first served)
    /// for the workers, so with a single worker another user's attempt waits
    /// for at most the one it is running.
    pub fn share(workers: usize) -> usize {
        (workers / 2).max(1)
    }

    /// How many argon2 verifications this server has run (for tests and
    /// monitoring).
    pub fn verifications(&self) -> u64 {
        self.inner.verifications.load(Ordering::Relaxed)
    }

    /// `user_id`'s share of the workers.
    fn user_share(&self, user_id: i64) -> Arc<Semaphore> {
        let mut per_user = self.inner.per_user.lock().unwrap_or_else(|e| e.into_inner());
        if per_user.len() > 1000 {
            // Forget users with nothing waiting (only the map holds them).
            let share = self.inner.share;
            per_user.retain(|_, s| Arc::strong_count(s) > 1 || s.available_permits() < share);
        }
        per_user
            .entry(user_id)
            .or_insert_with(|| Arc::new(Semaphore::new(self.inner.share)))
            .clone()
    }

    /// The id of the first candidate `password` matches, on a worker thread,
    /// within `user_id`'s share of the workers.
    async fn verify(
        &self,
        user_id: i64,
        password: String,
        candidates: Vec<(i64, String)>,
    ) -> Result<Option<i64>, AuthError> {
        let deadline = tokio::time::Instant::now() + self.inner.wait_for_worker;
        let share = self.user_share(user_id);
        let _mine = tokio::time::timeout_at(deadline, share.acquire())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Internal)?;
        let _worker = tokio::time::timeout_at(deadline, self.inner.workers.acquire())
            .await
            .map_err(|_| AuthError::Busy)?
            .map_err(|_| AuthError::Internal)?;
        let (reply, answer) = oneshot::channel();
        let this = self.clone();
        let job: Job = Box::new(move || {
            let matched = candidates
                .iter()
                .find(|(_, hash)| {
                    this.inner.verifications.fetch_add(1, Ordering::Relaxed);
                    verify_blocking(&password, hash)
                })
                .map(|(id, _)| *id);
            let _ = reply.send(matched);
        });
        self.inner
            .jobs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(job)
            .map_err(|_| AuthError::Internal)?;
        answer.await.map_err(|_| AuthError::Internal)
    }

    fn cache_slot(&self, user_id: i64, password: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.inner.cache_key).expect("HMAC takes any key length");
        mac.update(&user_id.to_be_bytes());
        mac.update(password.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn cached(&self, slot: &[u8; 32]) -> Option<i64> {
        let cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(slot)
            .filter(|v| v.at.elapsed() < CACHE_TTL)
            .map(|v| v.app_password_id)
    }

    fn remember(&self, slot: [u8; 32], app_password_id: i64) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, v| v.at.elapsed() < CACHE_TTL);
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(
            slot,
            Verified {
                app_password_id,
                at: Instant::now(),
            },
        );
    }

    /// Drops what this server remembers of a revoked app password (other
    /// servers refuse it anyway: they read its row on every request).
    pub fn forget(&self, app_password_id: i64) {
        let mut cache = self.inner.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.retain(|_, v| v.app_password_id != app_password_id);
    }

    /// Authenticates `user` (username or email) with an app password.
    pub async fn authenticate(
        &self,
        db: &Db,
        last_used: &LastUsed,
        user: &str,
        password: &str,
        client_addr: &str,
        via: Channel,
    ) -> Result<AppPasswordPrincipal, AuthError> {
        if let Phase::Retired { on } = app_passwords::schedule(db).await?.phase(chrono::Utc::now()) {
            return Err(AuthError::AppPasswordsRetired { on });
        }
        if password.is_empty() || password.len() > MAX_PASSWORD_LEN {
            return Err(AuthError::Unknown);
        }
        let Some(user_id) = users::find_for_login(db, user).await?.map(|u| u.id) else {
            return Err(AuthError::Unknown);
        };
        let candidates = app_passwords::candidates(db, user_id).await?;
        if candidates.is_empty() {
            return Err(AuthError::Unknown);
        }
        let slot = self.cache_slot(user_id, password);
        let remembered = self.cached(&slot).filter(|id| candidates.iter().any(|c| c.id == *id));
        let matched = match remembered {
            Some(id) => id,
            None => {
                // Counted before any argon2 work is queued.
                let counted = throttle::attempt(
                    db,
                    &self.inner.throttle,
                    Subject::AppPassword {
                        user_id,
                        address: client_addr,
                    },
                )
                .await
                .map_err(|e| match e {
                    AppError::TooManyAttempts { retry_after_secs } => AuthError::Throttled { retry_after_secs },
                    _ => AuthError::Internal,
                })?;
                let hashes = candidates.iter().map(|c| (c.id, c.password_hash.clone())).collect();
                match self.verify(user_id, password.to_string(), hashes).await {
                    Ok(Some(id)) => {
                        throttle::succeeded(db, counted).await?;
                        self.remember(slot, id);
                        id
                    }
                    Ok(None) => return Err(AuthError::Unknown),
                    // Never checked: not a failed guess.
                    Err(AuthError::Busy) => {
                        throttle::succeeded(db, counted).await?;
                        return Err(AuthError::Busy);
                    }
                    Err(e) => return Err(e),
                }
            }
        };
        let found = candidates
            .into_iter()
            .find(|c| c.id == matched)
            .ok_or(AuthError::Internal)?;
        last_used.note(Credential::AppPassword(found.id), now(), client_addr, via);
        Ok(AppPasswordPrincipal {
            id: found.id,
            user_id,
            name: found.name,
            scopes: found
                .scopes
                .split_whitespace()
                .filter_map(ClassicScope::parse)
                .collect(),
            created_at: found.created_at,
        })
    }
}

/// CPU time this thread has used (wall time would count the time a busy
/// machine kept it waiting, and make it rest far too long).
fn thread_cpu_time() -> Duration {
    #[cfg(target_os = "linux")]
    {
        let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: writes only `t`.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) } == 0 {
            return Duration::new(t.tv_sec as u64, t.tv_nsec as u32);
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssr::password::hash_blocking;

    #[tokio::test]
    async fn verifies_on_the_workers_and_names_the_match() {
        let verifier = AppPasswordVerifier::new(1, ThrottlePolicy::default());
        let a = hash_blocking("first app password").unwrap();
        let b = hash_blocking("second app password").unwrap();
        let candidates = vec![(1, a), (2, b)];
        assert_eq!(
            verifier
                .verify(7, "second app password".into(), candidates.clone())
                .await,
            Ok(Some(2))
        );
        assert_eq!(verifier.verifications(), 2);
        assert_eq!(verifier.verify(7, "neither".into(), candidates).await, Ok(None));
        assert_eq!(verifier.verifications(), 4);
    }

    #[tokio::test]
    async fn waits_for_a_worker_then_gives_up_with_busy() {
        let verifier = AppPasswordVerifier::with_wait(1, Duration::from_millis(50), ThrottlePolicy::default());
        let held = verifier.inner.workers.acquire().await.unwrap();
        let attempt = verifier.verify(7, "x".into(), vec![]);
        assert_eq!(attempt.await, Err(AuthError::Busy));
        drop(held);
        assert_eq!(verifier.verify(7, "x".into(), vec![]).await, Ok(None));
    }

    #[tokio::test]
    async fn one_user_holds_at_most_its_share_and_others_go_first() {
        // Four workers: a user's attempts hold at most two of them.
        let verifier = AppPasswordVerifier::with_wait(4, Duration::from_millis(50), ThrottlePolicy::default());
        assert_eq!(verifier.inner.share, 2);
        let share = verifier.user_share(7);
        let held = (share.acquire().await.unwrap(), share.acquire().await.unwrap());
        // A third attempt of user 7 waits (and gives up), though workers are free...
        assert_eq!(verifier.verify(7, "x".into(), vec![]).await, Err(AuthError::Busy));
        // ...while user 8 is served at once.
        assert_eq!(verifier.verify(8, "x".into(), vec![]).await, Ok(None));
        drop(held);
        assert_eq!(verifier.verify(7, "x".into(), vec![]).await, Ok(None));
        assert_eq!(AppPasswordVerifier::share(1), 1);
    }

    #[test]
    fn the_cache_is_keyed_by_user_and_password_and_forgets_revoked_ones() {
        let verifier = AppPasswordVerifier::new(1, ThrottlePolicy::default());
        let slot = verifier.cache_slot(7, "secret");
        assert_ne!(slot, verifier.cache_slot(8, "secret"));
        assert_ne!(slot, verifier.cache_slot(7, "secreT"));
        assert_eq!(verifier.cached(&slot), None);
        verifier.remember(slot, 42);
        assert_eq!(verifier.cached(&slot), Some(42));
        verifier.forget(42);
        assert_eq!(verifier.cached(&slot), None);
    }
}

//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, two
//! passes, one lane). Hashing is deliberately slow, so it runs on the
//! blocking pool and a semaphore bounds how many run at once: a burst of
//! sign-in attempts queues instead of exhausting memory and CPU.

use crate::error::AppError;
use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc, OnceLock,
};
use tokio::sync::Semaphore;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

#[derive(Clone, Debug)]
pub struct Passwords {
    limiter: Arc<Semaphore>,
    verifications: Arc<AtomicU64>,
    hashes: Arc<AtomicU64>,
}

impl Passwords {
    pub fn new(max_concurrent: usize) -> Self {
        Passwords {
            limiter: Arc::new(Semaphore::new(max_concurrent.max(1))),
            verifications: Arc::default(),
            hashes: Arc::default(),
        }
    }

    /// How many passwords this server has hashed since it started.
    pub fn hashes(&self) -> u64 {
        self.hashes.load(Ordering::Relaxed)
    }

    /// How many passwords this server has verified since it started (for
    /// tests and monitoring: throttling must keep it down under attack).
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, AppError> {
        let _permit = self.limiter.acquire().await.map_err(|_| AppError::Internal)?;
        tokio::task::spawn_blocking(work).await.map_err(|e| {
            tracing::error!(error = %e, "password task failed");
            AppError::Internal
        })
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.hashes.fetch_add(1, Ordering::Relaxed);
        self.run(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `stored`. With no stored hash (unknown
    /// user) it verifies against a dummy hash anyway, so the answer takes
    /// the same time whether or not the account exists.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        self.run(move || {
            let known = stored.is_some();
            let hash = stored.unwrap_or_else(|| dummy_hash().to_string());
            verify_blocking(&password, &hash) && known
        })
        .await
    }
}

pub fn hash_blocking(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
}

pub(crate) fn verify_blocking(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        // The verifier compares in constant time.
        Ok(parsed) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "stored password hash is unreadable");
            false
        }
    }
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_blocking("tokenwarden dummy password").expect("hash a constant"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verifiable() {
        let a = hash_blocking("correct horse battery").unwrap();
        let b = hash_blocking("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "salts must differ");
        assert!(verify_blocking("correct horse battery", &a));
        assert!(!verify_blocking("correct horse batterz", &a));
        assert!(!verify_blocking("x", "not a hash"));
    }

    #[tokio::test]
    async fn unknown_users_never_verify() {
        let p = Passwords::new(1);
        assert!(!p.verify("tokenwarden dummy password".into(), None).await.unwrap());
    }
}

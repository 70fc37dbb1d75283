//! The server secret that token hashes are keyed with.
//!
//! Tokens are high-entropy, so a fast keyed hash is enough (no argon2 on
//! every request): HMAC-SHA-256 under a 256-bit key that lives in a file
//! outside the database, so a stolen database alone cannot test guesses.
//! The file is a key ring, newest first, one `id hex-key` per line: rotation
//! adds a key for new tokens while older tokens still verify under theirs.
//! Several app servers on one database must share the file.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::{fmt, path::Path};
use tokenwarden::token::PlainToken;

/// A token secret's keyed hash: what the database stores and looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedToken {
    pub key_id: String,
    pub hash: String,
}

#[derive(Clone)]
struct Key {
    id: String,
    secret: [u8; 32],
}

#[derive(Clone)]
pub struct TokenKeys {
    /// Newest first; the first is used for new tokens.
    keys: Vec<Key>,
}

impl fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<_> = self.keys.iter().map(|k| k.id.as_str()).collect();
        write!(f, "TokenKeys({ids:?})")
    }
}

fn new_key() -> Key {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let mut id = [0u8; 4];
    rand::rngs::OsRng.fill_bytes(&mut id);
    Key {
        id: hex::encode(id),
        secret,
    }
}

impl TokenKeys {
    /// A ring with one fresh key, kept only in memory (tests).
    pub fn ephemeral() -> TokenKeys {
        TokenKeys { keys: vec![new_key()] }
    }

    /// Reads the key ring, creating it with one new key on first run.
    /// A ring other users can read is refused: with it and a copy of the
    /// database, anyone could test guesses at tokens offline.
    pub fn load_or_create(path: &Path) -> Result<TokenKeys, String> {
        if !path.exists() {
            write_ring(path, &[new_key()])?;
            tracing::info!(path = %path.display(), "created the token key file");
        }
        super::files::require_private(path, "the token key file")?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the token key file {}: {e}", path.display()))?;
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let bad = || {
                format!(
                    "token key file {} line {} is not `id hex-key`; restore it from backup",
                    path.display(),
                    n + 1
                )
            };
            let (id, hex_key) = line.trim().split_once(' ').ok_or_else(bad)?;
            let bytes = hex::decode(hex_key.trim()).map_err(|_| bad())?;
            let secret: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
            keys.push(Key {
                id: id.to_string(),
                secret,
            });
        }
        if keys.is_empty() {
            return Err(format!(
                "token key file {} holds no key; restore it from backup",
                path.display()
            ));
        }
        Ok(TokenKeys { keys })
    }

    /// Adds a new key in front of the ring file; returns its id.
    pub fn rotate(path: &Path) -> Result<String, String> {
        let ring = TokenKeys::load_or_create(path)?;
        let key = new_key();
        let id = key.id.clone();
        let mut keys = vec![key];
        keys.extend(ring.keys);
        write_ring(path, &keys)?;
        Ok(id)
    }

    pub fn current_id(&self) -> &str {
        &self.keys[0].id
    }

    /// The hash a new token is stored under.
    pub fn hash(&self, token: &PlainToken) -> HashedToken {
        hash_with(&self.keys[0], token.expose())
    }

    /// The hashes a presented token may be stored under, newest key first.
    pub fn candidates(&self, presented: &str) -> Vec<HashedToken> {
        self.keys.iter().map(|k| hash_with(k, presented)).collect()
    }
}

fn hash_with(key: &Key, secret: &str) -> HashedToken {
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.secret).expect("HMAC takes any key length");
    mac.update(secret.as_bytes());
    HashedToken {
        key_id: key.id.clone(),
        hash: hex::encode(mac.finalize().into_bytes()),
    }
}

/// Written whole, readable by the owner only.
fn write_ring(path: &Path, keys: &[Key]) -> Result<(), String> {
    let text: String = keys
        .iter()
        .map(|k| format!("{} {}\n", k.id, hex::encode(k.secret)))
        .collect();
    super::files::write_private(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenwarden::permissions::TokenKind;

    #[test]
    fn rotation_keeps_old_tokens_verifiable() {
        let dir = tempfile_dir();
        let path = dir.join("token-keys");
        let ring = TokenKeys::load_or_create(&path).unwrap();
        let token = PlainToken::new(TokenKind::Personal, [9; 24]);
        let stored = ring.hash(&token);
        assert_eq!(stored.hash.len(), 64);
        assert_ne!(stored.hash, token.expose());
        let new_id = TokenKeys::rotate(&path).unwrap();
        let ring = TokenKeys::load_or_create(&path).unwrap();
        assert_eq!(ring.current_id(), new_id);
        assert!(ring.candidates(token.expose()).contains(&stored));
        assert_ne!(ring.hash(&token), stored);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage\n").unwrap();
        assert!(TokenKeys::load_or_create(&path).unwrap_err().contains("line 1"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            TokenKeys::rotate(&dir.join("other")).unwrap();
            std::fs::set_permissions(dir.join("other"), std::fs::Permissions::from_mode(0o640)).unwrap();
            let e = TokenKeys::load_or_create(&dir.join("other")).unwrap_err();
            assert!(e.contains("open to other users") && e.contains("chmod 600"), "{e}");
        }
    }

    #[test]
    fn different_keys_give_different_hashes() {
        let token = PlainToken::new(TokenKind::Personal, [1; 24]);
        assert_ne!(
            TokenKeys::ephemeral().hash(&token).hash,
            TokenKeys::ephemeral().hash(&token).hash
        );
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let mut bytes = [0u8; 8];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let dir = std::env::temp_dir().join(format!("tw-keys-{}", hex::encode(bytes)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}

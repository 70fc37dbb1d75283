//! The one-time code first-run setup asks for.
//!
//! Until an administrator exists, anyone who reaches the server could
//! otherwise become its administrator. So each app server that starts
//! before setup makes a code, prints it, writes it to `setup-code` in the
//! data directory (mode 0600) and stores its SHA-256; the setup page asks
//! for it. Setup deletes every code, in the transaction that creates the
//! administrator. `tokenwarden create-admin` stays the scripted way.

use super::{files, store::users, Db};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;
use tokenwarden::secret::Secret;

/// Crockford's base 32: no I, L, O or U, so the code reads back unambiguously.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// 16 characters, 80 random bits, in groups of four: `7KQ2-…`.
pub fn generate() -> Secret {
    let mut random = [0u8; 10];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let bits = random.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let chars: Vec<u8> = (0..16)
        .map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize])
        .collect();
    let groups: Vec<&str> = chars
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("ASCII"))
        .collect();
    Secret::new(groups.join("-"))
}

/// The stored form of a code as typed: case, dashes and spaces do not
/// matter, and O, I and L read as 0, 1 and 1.
pub fn hash(typed: &str) -> String {
    let normalized: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// Before setup: makes this server's code, stores it and writes it to
/// `file`. After setup: removes any leftover file. Returns the new code.
pub async fn prepare(db: &Db, file: &Path) -> Result<Option<Secret>, String> {
    if users::is_set_up(db).await.map_err(|e| e.to_string())? {
        remove_file(file);
        return Ok(None);
    }
    let code = generate();
    users::add_setup_code(db, &hash(code.expose()))
        .await
        .map_err(|e| e.to_string())?;
    files::write_private(file, format!("{}\n", code.expose()).as_bytes())?;
    Ok(Some(code))
}

/// Removes the code's file once setup is done (no error if it is gone).
pub fn remove_file(file: &Path) {
    if let Err(e) = std::fs::remove_file(file) {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, path = %file.display(), "could not remove the used setup code file");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_random_grouped_and_forgiving_to_type() {
        let code = generate();
        let text = code.expose();
        assert_eq!(text.len(), 19);
        assert_eq!(text.matches('-').count(), 3);
        assert!(text.bytes().all(|b| b == b'-' || ALPHABET.contains(&b)));
        assert_ne!(text, generate().expose());
        assert_eq!(hash(text), hash(&text.to_lowercase().replace('-', " ")));
        assert_eq!(hash("0O1I-L"), hash("00111"));
        assert_ne!(hash(text), hash(&generate().into_exposed()));
    }
}

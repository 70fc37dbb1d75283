-- Throttling that concurrency cannot beat, the first-run setup code, and
-- audit entries that name the token they are about.

-- One row per throttle bucket (an account, an address, an account from an
-- address, ...). An attempt is counted here, in the transaction that checks
-- the bucket allows it, before any password is verified.
CREATE TABLE throttle_buckets (
    bucket TEXT PRIMARY KEY,
    -- Attempts counted and not released by a success.
    failures INTEGER NOT NULL,
    -- When the last attempt was counted (Unix seconds).
    last_at INTEGER NOT NULL,
    -- No attempt is let through before this instant.
    next_at INTEGER NOT NULL
);
CREATE INDEX throttle_buckets_by_time ON throttle_buckets (last_at);

-- Addresses an account has signed in from: exempt from the account-wide
-- bucket, so an attacker elsewhere cannot keep the owner out.
CREATE TABLE sign_in_addresses (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, address)
);

DROP TABLE login_failures;

-- The one-time codes first-run setup asks for (SHA-256 of the code; each
-- app server that starts before setup adds its own). Emptied by setup.
CREATE TABLE setup_codes (
    code_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

-- The token an entry is about, so each change and its entry can be matched.
ALTER TABLE audit_events ADD COLUMN token_id INTEGER REFERENCES access_tokens (id) ON DELETE CASCADE;
CREATE INDEX audit_events_by_token ON audit_events (token_id);

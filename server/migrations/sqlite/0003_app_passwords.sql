-- Legacy app passwords and the schedule that retires them; how a token was
-- last used (REST or Git), and when that was last written (by any app
-- server: at most once a minute, see app/src/ssr/last_used.rs).

ALTER TABLE access_tokens ADD COLUMN last_used_via TEXT CHECK (last_used_via IN ('rest', 'git'));
ALTER TABLE access_tokens ADD COLUMN last_used_written_at BIGINT;

CREATE TABLE app_passwords (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    -- Classic scopes, space-separated ("repository:write account").
    scopes TEXT NOT NULL,
    -- argon2id (PHC string); never the password.
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    last_used_addr TEXT,
    last_used_via TEXT CHECK (last_used_via IN ('rest', 'git')),
    last_used_written_at BIGINT,
    revoked_at BIGINT,
    revoked_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX app_passwords_by_user ON app_passwords (user_id, revoked_at);

-- One row, always present. Dates are YYYY-MM-DD, taking effect at 00:00 UTC;
-- NULL: not scheduled.
CREATE TABLE app_password_schedule (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    creation_closes_on TEXT,
    cutoff_on TEXT,
    updated_at BIGINT,
    updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO app_password_schedule (id) VALUES (1);

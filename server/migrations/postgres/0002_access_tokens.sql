-- Expiry policies, access tokens and the audit log.

-- One row, always present: its row lock also serializes token creation
-- against policy changes (see app/src/ssr/store/tokens.rs).
CREATE TABLE system_policy (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    expiry_required BIGINT NOT NULL DEFAULT 0 CHECK (expiry_required IN (0, 1)),
    max_days BIGINT NOT NULL DEFAULT 365 CHECK (max_days BETWEEN 1 AND 3650),
    updated_at BIGINT,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO system_policy (id) VALUES (1);

-- Missing row: the defaults (365 days, no "No expiry").
CREATE TABLE workspace_policies (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    max_days BIGINT NOT NULL CHECK (max_days IN (90, 180, 365)),
    allow_no_expiry BIGINT NOT NULL CHECK (allow_no_expiry IN (0, 1)),
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE access_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('workspace', 'project', 'repository', 'personal')),
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE CASCADE,
    project_id BIGINT REFERENCES projects (id) ON DELETE CASCADE,
    repository_id BIGINT REFERENCES repositories (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    permissions TEXT NOT NULL,
    -- HMAC-SHA-256 of the secret under the key named by key_id; never the secret.
    token_hash TEXT NOT NULL UNIQUE,
    key_id TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    last_used_addr TEXT,
    revoked_at BIGINT,
    revoked_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX access_tokens_by_workspace ON access_tokens (workspace_id);
CREATE INDEX access_tokens_by_project ON access_tokens (project_id);
CREATE INDEX access_tokens_by_repository ON access_tokens (repository_id);
CREATE INDEX access_tokens_by_user ON access_tokens (user_id);

CREATE TABLE audit_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE CASCADE,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    client_addr TEXT NOT NULL
);
CREATE INDEX audit_events_by_time ON audit_events (at);
CREATE INDEX audit_events_by_workspace ON audit_events (workspace_id, at);

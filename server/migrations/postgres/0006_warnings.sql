-- Warnings before expiry: the ladders, where each token is on its ladder,
-- the email outbox, and webhooks with their delivery log.
-- The sweeper (app/src/ssr/store/warnings.rs) claims a due threshold by
-- moving the token's `next_warning_at` in the transaction that queues its
-- messages: two app servers never queue one twice, a crash never loses one.

-- Days before expiry, comma-separated ("60,30,14,7,1"); read by the rules
-- crate's `warnings::Ladder::parse`. A workspace's list adds to the system's.
ALTER TABLE system_policy ADD COLUMN warning_days TEXT NOT NULL DEFAULT '60,30,14,7,1';
ALTER TABLE workspaces ADD COLUMN extra_warning_days TEXT NOT NULL DEFAULT '';
-- An IANA zone name: warnings give the expiry in UTC and in this zone.
ALTER TABLE workspaces ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

-- The last threshold warned about (days before expiry; 0: expired), and
-- when the sweeper should look at the token next (NULL: never again).
ALTER TABLE access_tokens ADD COLUMN warned_days BIGINT;
ALTER TABLE access_tokens ADD COLUMN next_warning_at BIGINT;
-- Tokens made before this migration: looked at once from a year before
-- their expiry (the sweep then sets the exact next look); tokens that had
-- already expired are not told about now.
UPDATE access_tokens SET next_warning_at = expires_at - 365 * 86400
    WHERE expires_at IS NOT NULL AND revoked_at IS NULL AND expires_at > CAST(EXTRACT(EPOCH FROM now()) AS BIGINT);
CREATE INDEX access_tokens_warning_due ON access_tokens (next_warning_at) WHERE next_warning_at IS NOT NULL;
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;

-- One email per recipient per threshold per token (the UNIQUE key).
-- `lease_until`: a sender claims a message until then; a sender that dies
-- leaves it to be claimed again.
CREATE TABLE warning_emails (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_id BIGINT NOT NULL REFERENCES access_tokens (id) ON DELETE CASCADE,
    threshold_days BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'dropped', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_attempt_at BIGINT,
    sent_at BIGINT,
    last_error TEXT,
    UNIQUE (token_id, threshold_days, user_id)
);
CREATE INDEX warning_emails_due ON warning_emails (next_attempt_at) WHERE state = 'pending';

-- Workspace webhooks, or the whole instance's (workspace_id NULL).
-- `secret` signs each body (HMAC-SHA-256); it is never shown again.
CREATE TABLE webhooks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id BIGINT REFERENCES workspaces (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- Event names, space-separated ("token.expiring token.expired").
    events TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_by_workspace ON webhooks (workspace_id);

CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- Sent as Tokenwarden-Delivery; the same on every retry.
    delivery_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    -- Retries stop after this instant (a day after the first try).
    give_up_at BIGINT NOT NULL,
    last_attempt_at BIGINT,
    last_status BIGINT,
    last_error TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);

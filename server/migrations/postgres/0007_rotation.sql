-- Rotation: a token replaced by a successor keeps working until
-- `stops_at` (the overlap the rotator picked, never past its expiry), then
-- answers 401 "rotated". Old and new point at each other. A rotated-away
-- token presented after its overlap is noted once (`reuse_seen_at`): the
-- owners and webhooks are told, and the successors revoked if the system
-- policy says so.
ALTER TABLE access_tokens ADD COLUMN rotated_to BIGINT REFERENCES access_tokens (id) ON DELETE SET NULL;
ALTER TABLE access_tokens ADD COLUMN rotated_from BIGINT REFERENCES access_tokens (id) ON DELETE SET NULL;
ALTER TABLE access_tokens ADD COLUMN stops_at BIGINT;
ALTER TABLE access_tokens ADD COLUMN reuse_seen_at BIGINT;

-- The system admin's rules (the rules crate's `rotation::RotationPolicy`):
-- the longest overlap a rotator may pick, the overlap when none is picked
-- (a token rotating itself), and whether reuse revokes the successors.
ALTER TABLE system_policy ADD COLUMN max_overlap TEXT NOT NULL DEFAULT '7d';
ALTER TABLE system_policy ADD COLUMN default_overlap TEXT NOT NULL DEFAULT '1h';
ALTER TABLE system_policy ADD COLUMN revoke_on_reuse BIGINT NOT NULL DEFAULT 0;

-- The email outbox carries more than expiry warnings: `about` says which
-- message ('expiry': `threshold_days` before expiry; 'reuse': a rotated-away
-- token was used, threshold 0; 'applied': a policy moved the expiry,
-- `threshold_days` the new expiry's day number), each once per recipient.
ALTER TABLE warning_emails ADD COLUMN about TEXT NOT NULL DEFAULT 'expiry'
    CHECK (about IN ('expiry', 'reuse', 'applied'));
ALTER TABLE warning_emails DROP CONSTRAINT warning_emails_token_id_threshold_days_user_id_key;
ALTER TABLE warning_emails ADD CONSTRAINT warning_emails_once UNIQUE (token_id, about, threshold_days, user_id);

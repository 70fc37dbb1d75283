-- The expiry the create form pre-selects, set by admins with each policy:
-- one of the presets (7, 30, 60, 90, 180, 365 days), within the policy's
-- maximum (checked by the rules crate, which also reads it back).
ALTER TABLE workspace_policies ADD COLUMN default_days INTEGER NOT NULL DEFAULT 30
    CHECK (default_days IN (7, 30, 60, 90, 180, 365));
ALTER TABLE system_policy ADD COLUMN default_days INTEGER NOT NULL DEFAULT 30
    CHECK (default_days IN (7, 30, 60, 90, 180, 365));

-- Rotation with a grace period: the old key keeps working until its (shortened) expires_at instead of being
-- revoked at once. rotated_to names the key that replaced it, so a key still in its grace period is known to be
-- rotated already (rotating it again is refused) rather than taken for a key that merely has an expiry.
ALTER TABLE api_keys ADD COLUMN rotated_to text;

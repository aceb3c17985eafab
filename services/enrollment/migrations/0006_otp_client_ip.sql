-- The client address that asked for each code: besides the per-number limits, codes are
-- limited per client address and overall per minute (a script trying many numbers).
ALTER TABLE otp_codes ADD COLUMN client_ip text;
CREATE INDEX otp_codes_client ON otp_codes (client_ip, created_at) WHERE client_ip IS NOT NULL;
CREATE INDEX otp_codes_created ON otp_codes (created_at);

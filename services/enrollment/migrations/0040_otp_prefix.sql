-- Codes per number block (the number without its last four digits: 10,000 numbers) within the
-- hour: SMS pumping walks through a block, one code per number (issue 15).
CREATE INDEX otp_codes_prefix ON otp_codes (left(phone, -4), created_at DESC);

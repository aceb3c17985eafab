-- When each certificate was issued (its CertificateIssued event's occurred_at): of several
-- certificates of one enrolment the roster shows the valid one, then the latest issued, even
-- when they share an issue date. A certificate replaced by a reissue is revoked.
ALTER TABLE certificates ADD COLUMN issued_at timestamptz;
CREATE INDEX certificates_replaces ON certificates (replaces) WHERE replaces IS NOT NULL;

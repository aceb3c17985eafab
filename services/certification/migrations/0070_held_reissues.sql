-- A certificate revoked because its result was corrected to failed, whose result is corrected
-- back to passed, is replaced only after four-eyes approval (issue 14): the replacement waits
-- as a `pending` row with `replaces` set and no code, beside the revoked one, which stays live
-- (and verifies as revoked) until an approver signs the replacement. So "one live certificate
-- per enrolment" leaves such an open replacement out, and allows at most one of them.
DROP INDEX certificates_live_enrollment;
CREATE UNIQUE INDEX certificates_live_enrollment ON certificates (enrollment_id)
    WHERE replaced_by IS NULL AND NOT (replaces IS NOT NULL AND status IN ('pending', 'withdrawn'));
CREATE UNIQUE INDEX certificates_open_replacement ON certificates (enrollment_id)
    WHERE replaced_by IS NULL AND replaces IS NOT NULL AND status IN ('pending', 'withdrawn');

-- A person's reissue of a valid certificate (a new number, the holder's data as the latest result
-- has them) is a new issuance, so it takes four eyes too (issue 14): the request is held as a
-- `pending` replacement (`replaces` set, no code yet, like a correction's, migration 0070) that
-- names who asked and why; an approver other than the requester, who does not teach the class,
-- signs it, and only then is the valid certificate revoked in its favour.
ALTER TABLE certificates
    ADD COLUMN requested_by   uuid,
    ADD COLUMN request_reason text;

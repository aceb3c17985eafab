-- Ledger rows still holding a sign-in code: few at any time, found by the reconcile loop that
-- masks them once settled or expired (repository/codes.py, issue 15).
CREATE INDEX notifications_unmasked_codes ON notifications (expires_at)
    WHERE variables ? 'code' AND variables->>'code' <> '******';

-- Examiners approve certificates of classes they do not teach (four-eyes issuance, issue 14).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('trainee', 'trainer', 'examiner', 'admin'));

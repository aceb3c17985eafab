-- Two kinds of certificate per course (issue 14): 培训合格证书 (training, own numbers) and
-- 职业技能等级证书 (skill_level, national numbers). New courses need a second pair of eyes by
-- default; single-step issuance stays for training certificates only.
ALTER TABLE courses ADD COLUMN certificate_kind text NOT NULL DEFAULT 'training'
    CHECK (certificate_kind IN ('training', 'skill_level'));
ALTER TABLE courses ALTER COLUMN issue_policy SET DEFAULT 'approval';
ALTER TABLE courses ADD CONSTRAINT courses_single_step_training_only
    CHECK (issue_policy = 'approval' OR certificate_kind = 'training');

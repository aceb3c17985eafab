-- The public sees a revocation's category (信息有误, 违规获取, ...), never the free text a
-- staff member typed (issue 14); the text stays in `reason` and the audit for staff.
ALTER TABLE certificates ADD COLUMN reason_category text;

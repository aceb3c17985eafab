-- The share of a course's required hours (学时) a trainee must attend, by check-ins, for a
-- pass to be certifiable (issue 16). Classes without any check-in keep the per-day rule.
ALTER TABLE courses ADD COLUMN min_attendance_ratio numeric(4, 3) NOT NULL DEFAULT 0.9
    CHECK (min_attendance_ratio > 0 AND min_attendance_ratio <= 1);

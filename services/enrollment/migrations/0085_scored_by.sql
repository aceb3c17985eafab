-- Four eyes (issue 14): who last entered or changed an enrolment's scores. The release
-- announces it (enrollment.completed `scored_by`, with `released_by`), and certification
-- refuses that person's approval of the certificate. NULL for scores entered before.
ALTER TABLE enrollments ADD COLUMN scored_by uuid;

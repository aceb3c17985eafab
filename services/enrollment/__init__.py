"""Enrollment: identity, catalogue, classes, enrolment, attendance and results."""

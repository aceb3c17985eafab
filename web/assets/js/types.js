// @ts-check
// Types of the API's JSON that more than one module reads, for the type checker only
// (`npm run lint` in web/): nothing imports this module at run time, the browser never loads it.
// Names follow the services' schemas (docs/api/*.openapi.json); each lists only the fields the
// pages use.

/**
 * One pydantic error of a 422 problem's `errors[]`.
 * @typedef {object} ValidationError
 * @property {(string | number)[]} [loc]  e.g. ["body", "phone"]
 * @property {string} [type]
 * @property {string} [msg]
 */

/**
 * A problem+json body: `code` is stable; others members depend on it.
 * @typedef {object} Problem
 * @property {string} [code]
 * @property {string} [title]
 * @property {string} [detail]
 * @property {number} [status]
 * @property {ValidationError[]} [errors]
 * @property {number} [retry_after]
 * @property {string[]} [enrollment_ids]
 */

/** @typedef {'trainee' | 'trainer' | 'examiner' | 'admin'} Role */

/**
 * The user a token was issued to (UserRef).
 * @typedef {object} UserRef
 * @property {string} id
 * @property {Role} role
 * @property {string} name
 */

/**
 * POST /api/v1/auth/token (TokenOut).
 * @typedef {object} TokenOut
 * @property {string} access_token
 * @property {number} expires_in  seconds
 * @property {UserRef} user
 */

/**
 * A course as classes carry it (CourseBrief; CourseOut has these and more).
 * @typedef {object} CourseBrief
 * @property {string} id
 * @property {string} code
 * @property {string} title_zh
 * @property {string} title_en
 * @property {string} category
 * @property {number | null} level
 * @property {string | null} level_label
 */

/**
 * A class as enrolments carry it (ClassBrief).
 * @typedef {object} ClassBrief
 * @property {string} id
 * @property {string} name
 * @property {CourseBrief} course
 * @property {string} starts_on  YYYY-MM-DD
 * @property {string} ends_on
 * @property {string[]} schedule_days
 * @property {string | null} session_start  HH:MM:SS
 * @property {string} venue
 * @property {boolean} online
 * @property {string} status  scheduled | cancelled
 */

/**
 * A class in full (ClassOut).
 * @typedef {ClassBrief & ClassMore} ClassOut
 * @typedef {object} ClassMore
 * @property {string} course_id
 * @property {{id: string, name: string}[]} trainers
 * @property {number} hours_per_day
 * @property {number} total_hours
 * @property {number} capacity
 * @property {number} seats_left
 * @property {number} waitlist_length
 * @property {string} enroll_opens_at  ISO datetime
 * @property {string} enroll_closes_at
 * @property {boolean} open_for_enrolment
 * @property {string} waitlist_policy
 * @property {number} offer_hours
 * @property {boolean} union_members_only
 * @property {string | null} cancel_reason
 * @property {string | null} results_released_at
 */

/**
 * Where an enrolment stands: an EnrolmentDetail, or the EnrolmentOut of enrolling.
 * @typedef {object} EnrollmentState
 * @property {string} id
 * @property {string} class_id
 * @property {string} status
 * @property {number | null} waitlist_position
 * @property {string | null} [offer_expires_at]
 */

/**
 * A certificate (CertificateOut).
 * @typedef {object} CertificateOut
 * @property {string} id
 * @property {string} enrollment_id
 * @property {string} class_id
 * @property {string} kind
 * @property {string} title
 * @property {string | null} number
 * @property {string | null} code
 * @property {string} status
 * @property {string | null} [reason]
 * @property {string} holder
 * @property {string | null} [id_number]
 * @property {string} course
 * @property {string} course_en
 * @property {string} occupation
 * @property {string} work_type
 * @property {number | null} level
 * @property {string | null} level_name
 * @property {number | null} hours
 * @property {string | null} issued_on
 * @property {string | null} expires_on
 * @property {string} issuer
 * @property {string | null} verify_url
 * @property {string | null} [replaces]
 * @property {string | null} [replaced_by]
 */

/**
 * A page of a list: ClassList, CourseList, UserList (with a cursor to the next page), or a
 * whole list (EnrolmentList, CertificateList, ...).
 * @template T
 * @typedef {object} List
 * @property {T[]} items
 * @property {string | null} [next_cursor]
 */

/**
 * Whether one tap will enrol the caller once enrolment opens (ReadinessOut).
 * @typedef {object} Readiness
 * @property {boolean} ready
 * @property {string | null} code  the refusal the enrolment would meet (already_enrolled too)
 * @property {string | null} detail
 * @property {boolean} open_now  enrolment is open now and one tap enrols
 * @property {string} enroll_opens_at
 * @property {string} enroll_closes_at
 * @property {string} server_time
 * @property {string | null} enrollment_id
 */

/**
 * A category of courses with its classes open now (CategoryOut).
 * @typedef {object} CategoryOut
 * @property {string} code  what ?category= holds
 * @property {string} name_zh
 * @property {string} name_en
 * @property {number} open_classes
 */

/**
 * A course (CourseOut).
 * @typedef {CourseBrief & CourseMore} CourseOut
 * @typedef {object} CourseMore
 * @property {number} required_hours
 * @property {number} theory_pass
 * @property {number} practical_pass
 * @property {string} issue_policy  auto | approval
 * @property {string} certificate_kind  training | skill_level
 */

/**
 * A user as administrators list them (UserOut).
 * @typedef {object} UserOut
 * @property {string} id
 * @property {Role} role
 * @property {string} name
 * @property {string} phone_masked
 * @property {string | null} employer
 * @property {boolean} signed_up
 * @property {string} created_at
 */

/**
 * The signed-in user's own profile (ProfileOut).
 * @typedef {object} ProfileOut
 * @property {string} id
 * @property {Role} role
 * @property {string} name
 * @property {string} phone
 * @property {string | null} email
 * @property {string} locale
 * @property {boolean} union_member
 * @property {string | null} employer
 * @property {string | null} id_type
 * @property {string | null} id_number_masked
 * @property {boolean} profile_complete
 * @property {string} created_at
 */

/**
 * POST /api/v1/auth/otp (OtpOut).
 * @typedef {object} OtpOut
 * @property {number} resend_after  seconds
 */

/**
 * One status change of an enrolment (HistoryEntry).
 * @typedef {object} HistoryEntry
 * @property {string} to_status
 * @property {string} actor_role
 * @property {string | null} reason
 * @property {string} at
 */

/**
 * A trainee's result as their enrolment carries it (enrolment ResultOut).
 * @typedef {object} EnrollmentResult
 * @property {number | null} theory_score
 * @property {number | null} practical_score
 * @property {boolean | null} passed
 */

/**
 * One of my enrolments (EnrolmentDetail).
 * @typedef {EnrollmentState & EnrollmentMore} EnrolmentDetail
 * @typedef {object} EnrollmentMore
 * @property {string | null} cancel_reason
 * @property {ClassBrief} class_info
 * @property {EnrollmentResult} result
 * @property {string | null} certificate_number
 * @property {HistoryEntry[]} history
 */

/**
 * One person on a class's roster (RosterEntry).
 * @typedef {object} RosterEntry
 * @property {string} enrollment_id
 * @property {string} name
 * @property {string} phone_masked
 * @property {string} status
 * @property {number | null} waitlist_position
 * @property {string | null} offer_expires_at
 * @property {Record<string, string>} attendance  class day -> present | late | excused | absent
 * @property {number} attendance_rate  0..1
 * @property {boolean} exam_eligible
 * @property {number | null} theory_score
 * @property {number | null} practical_score
 * @property {boolean | null} passed
 * @property {string | null} certificate_number
 * @property {string | null} certificate_status
 * @property {boolean | null} reachable
 * @property {string | null} unreachable_reason
 */

/**
 * A class's roster (RosterOut).
 * @typedef {object} RosterOut
 * @property {string[]} schedule_days
 * @property {number} capacity
 * @property {number} seats_left
 * @property {number} waitlist_length
 * @property {RosterEntry[]} items
 */

/**
 * One row of a roster import (ImportRowOut).
 * @typedef {object} ImportRowOut
 * @property {number} row
 * @property {string} phone_masked
 * @property {'created' | 'already_enrolled' | 'refused'} result
 * @property {string | null} [status]
 * @property {number | null} [waitlist_position]
 * @property {string | null} [code]
 * @property {string | null} [detail]
 */

/**
 * A roster import's outcome (ImportOut).
 * @typedef {object} ImportOut
 * @property {number} created
 * @property {number} already_enrolled
 * @property {number} refused
 * @property {ImportRowOut[]} rows
 */

/**
 * What releasing a class's results changed (ReleaseOut).
 * @typedef {object} ReleaseOut
 * @property {number} completed
 * @property {number} corrected
 * @property {number} no_show
 * @property {number} unchanged
 */

/**
 * A released result and its live certificate, for certificate work (certification ResultOut).
 * @typedef {object} ReleasedResult
 * @property {string} enrollment_id
 * @property {string} holder
 * @property {boolean} passed
 * @property {string} released_at
 * @property {string | null} certificate_status
 * @property {boolean} may_issue  whether the caller may issue now (four eyes)
 */

/**
 * POST /api/v1/certificates/approve (BulkApproveOut).
 * @typedef {object} BulkApproveOut
 * @property {CertificateOut[]} approved
 * @property {{id: string, code: string, detail: string}[]} failed
 */

/**
 * Enrolment figures of today for the dashboard (StatsOut).
 * @typedef {object} StatsOut
 * @property {number} enrolments_today
 * @property {number} confirmed_today
 * @property {number} waitlisted_today
 * @property {number} cancellations_today
 * @property {number} seats_capacity
 * @property {number} seats_filled
 * @property {number} waitlisted_total
 * @property {number} classes_open
 * @property {number} classes_upcoming
 * @property {number} trainees
 */

/**
 * Notification figures of today for the dashboard (notification Stats).
 * @typedef {object} NotificationStats
 * @property {number} sent
 * @property {number} delivered
 * @property {number} failed
 * @property {number} queued
 * @property {number} deferred
 * @property {number} unknown
 * @property {number} suppressed
 */

/**
 * A service's queue depths and outbox (OpsQueues).
 * @typedef {object} OpsQueues
 * @property {string} service
 * @property {{name: string, messages: number | null}[]} queues  null: the broker did not say
 * @property {{pending: number, parked: number}} outbox
 */

/**
 * A message sent to me (MyNotification).
 * @typedef {object} MyNotification
 * @property {string} event_type
 * @property {string} channel
 * @property {string} recipient_masked
 * @property {string} status
 * @property {string} created_at
 * @property {string | null} [subject]
 * @property {string} body
 */

/**
 * A message as administrators see it (NotificationItem).
 * @typedef {MyNotification & {attempts: number, error_code?: string | null}} NotificationItem
 */

/**
 * My notification preferences (PreferencesOut).
 * @typedef {object} PreferencesOut
 * @property {boolean} sms
 * @property {boolean} email
 * @property {string} preferred  sms | email
 */

export {};

/**
 * One session of a class day (SessionOut).
 * @typedef {object} SessionOut
 * @property {string} date
 * @property {number} no
 * @property {string} starts_at  HH:MM:SS local
 * @property {string} ends_at
 * @property {number} minutes
 */

/**
 * The check-in code on the trainer's screen (CheckinCodeOut).
 * @typedef {object} CheckinCodeOut
 * @property {string} token
 * @property {string} path
 * @property {string} url
 * @property {string[]} qr  rows of QR modules, '1' dark
 * @property {'in' | 'out'} kind
 * @property {SessionOut} session
 * @property {string} issued_at
 * @property {string} expires_at
 * @property {string} refresh_at
 */

/**
 * What a trainee's scan recorded (CheckinOut).
 * @typedef {object} CheckinOut
 * @property {string} enrollment_id
 * @property {string} date
 * @property {number} no
 * @property {'in' | 'out'} kind
 * @property {string} recorded_at
 * @property {string | null} checked_in_at
 * @property {string | null} checked_out_at
 * @property {string[]} flags
 * @property {boolean} already_recorded
 */

/**
 * What one session counts for one trainee (SessionMinutes).
 * @typedef {object} SessionMinutes
 * @property {string} date
 * @property {number} no
 * @property {number} minutes
 * @property {number} planned
 * @property {boolean} late
 * @property {boolean} left_early
 * @property {boolean} missing_checkout
 * @property {boolean} overridden
 */

/**
 * One trainee's hours (TraineeHoursOut).
 * @typedef {object} TraineeHoursOut
 * @property {string} enrollment_id
 * @property {string} name
 * @property {string} status
 * @property {number} minutes
 * @property {number} hours
 * @property {number} ratio
 * @property {boolean} enough
 * @property {number} late
 * @property {number} left_early
 * @property {number} missing_checkouts
 * @property {string[]} at_risk
 * @property {string[]} warned
 * @property {SessionMinutes[]} sessions
 */

/**
 * Hours of a class's roster (ClassHoursOut).
 * @typedef {object} ClassHoursOut
 * @property {number} planned_minutes
 * @property {number} required_minutes
 * @property {number} min_attendance_ratio
 * @property {boolean} by_checkin
 * @property {TraineeHoursOut[]} items
 */

/**
 * One check-in as the trainer reviews it (ClassCheckin).
 * @typedef {object} ClassCheckin
 * @property {string} enrollment_id
 * @property {string} name
 * @property {string} date
 * @property {number} no
 * @property {string | null} checked_in_at
 * @property {string | null} checked_out_at
 * @property {string | null} in_source
 * @property {string | null} out_source
 * @property {string[]} flags
 * @property {boolean} confirmed_to_end
 * @property {number} corrections
 */

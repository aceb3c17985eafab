"""Who may call every operation of the three services: the access-control matrix.

`tests/security/test_access_matrix.py` sends every operation of the live route tables (the
OpenAPI documents built from the code) as each of the principals below, against the running
services, and compares the answers with this table. An operation without an entry here fails
the test, naming it; so does an entry whose operation is gone.

The rules the answers must follow (the API's policy):

* A principal the entry allows is served: any answer but 401 and 403, and never 5xx (2xx, 404
  for an object a previous operation removed, 409 for a state, 400/422 for a body this table
  does not fill).
* Everybody else is refused with exactly the status and problem+json `code` this table says:
  - no token: 401 `unauthorized`; a token that is expired (401 `token_expired`), tampered or
    unsigned (`alg: none`; 401 `invalid_token`), lives longer than
    JIANGXIN_MAX_TOKEN_LIFETIME_S (401 `token_lifetime_too_long`), or of a disabled account
    (401 `token_revoked`). These are checked before anything else.
  - a valid token whose role the operation does not take: 403 `role_forbidden`.
  - the right role but not this object: as the entry's `refuse` says. The policy: 404 to
    anyone else reading a person's record (an enrolment; a certificate, its history,
    credential, PDF and audit trail; an application; staff included), so its existence is
    not disclosed; 403 with a reason where a trainer asks for class staff's work on a class
    they do not teach (roster, attendance, results, hours; a certificate's status changes):
    `not_class_trainer`; a trainer approving their own class's certificates:
    `approver_is_class_trainer`; a trainer doing an admin's change: `admin_only`.
* A public operation (no roles) ignores a bad or revoked token and serves the caller as
  anonymous; what guards it is its path's secret (a survey code, an unsubscribe token) or, for
  delivery receipts, the provider's shared token in the query, checked before the body is read
  (their entries send a malformed body: a caller without the token must get 401
  `receipt_token_invalid`, never a 400/422 that describes the body format). Likewise a check-in
  (POST /api/v1/checkins) is keyed by the code on the trainer's screen; refusing one without
  a place in the class is tests/enrollment/test_checkins.py's to prove.

The disabled user and the four flawed tokens are an administrator's: a flaw in any of those
checks would hand out the most power.

Adding an operation: add an `Entry` with the service, "METHOD /path" as in its OpenAPI
document, and a `Policy` (reuse one below when it fits). Give a body when the operation's own
check (owner, trainer of the class) runs after the body is parsed; path parameters are filled
with objects of `trainee`'s in a class `class_trainer` teaches (tests/security/world.py), and
a body string "{name}" is replaced by that parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ANONYMOUS = "anonymous"
TRAINEE = "trainee"  # owns every object a path names
OTHER_TRAINEE = "other_trainee"
CLASS_TRAINER = "class_trainer"  # teaches the class of those objects
OTHER_TRAINER = "other_trainer"
EXAMINER = "examiner"
ADMIN = "admin"
DISABLED = "disabled_user"  # an administrator disabled by another (POST /users/{id}/disable)
EXPIRED = "expired_token"
TAMPERED = "tampered_token"  # signature altered
ALG_NONE = "alg_none_token"
LONG_LIVED = "long_lived_token"  # exp - iat above JIANGXIN_MAX_TOKEN_LIFETIME_S


@dataclass(frozen=True)
class Refusal:
    """The status and problem `code` a refused principal gets."""

    status: int
    code: str

    def __str__(self) -> str:
        return f"{self.status} {self.code}"


@dataclass(frozen=True)
class Principal:
    """A caller of the matrix: its role (None: no valid token) and, if any, its token's flaw."""

    name: str
    role: str | None
    token_refusal: Refusal | None = None


def _bad(name: str, code: str) -> Principal:
    return Principal(name, None, Refusal(401, code))


PRINCIPALS = (
    _bad(ANONYMOUS, "unauthorized"),
    Principal(TRAINEE, "trainee"),
    Principal(OTHER_TRAINEE, "trainee"),
    Principal(CLASS_TRAINER, "trainer"),
    Principal(OTHER_TRAINER, "trainer"),
    Principal(EXAMINER, "examiner"),
    Principal(ADMIN, "admin"),
    _bad(DISABLED, "token_revoked"),
    _bad(EXPIRED, "token_expired"),
    _bad(TAMPERED, "invalid_token"),
    _bad(ALG_NONE, "invalid_token"),
    _bad(LONG_LIVED, "token_lifetime_too_long"),
)
EVERYONE = frozenset(p.name for p in PRINCIPALS)
SIGNED_IN = frozenset({TRAINEE, OTHER_TRAINEE, CLASS_TRAINER, OTHER_TRAINER, EXAMINER, ADMIN})
ROLE_FORBIDDEN = Refusal(403, "role_forbidden")


@dataclass(frozen=True)
class Policy:
    """Who passes an operation: the roles its gate takes, then the principals it serves.

    `roles` None is a public operation. `refuse` answers a principal with a role the gate
    takes who is not in `allow`; `refuse_as` overrides it per principal."""

    roles: frozenset[str] | None
    allow: frozenset[str]
    refuse: Refusal | None = None
    refuse_as: Mapping[str, Refusal] = field(default_factory=dict)

    def expected(self, principal: Principal) -> Refusal | None:
        """Return the refusal a principal must get, or None when it must be served."""
        refusal = self.at_gate(principal)
        if refusal is not None:
            return refusal
        return None if principal.name in self.allow else self._refusal(principal)

    def at_gate(self, principal: Principal) -> Refusal | None:
        """Return the refusal of the token and role checks, before the operation's own."""
        if self.roles is None:
            return None
        if principal.token_refusal is not None:
            return principal.token_refusal
        return None if principal.role in self.roles else ROLE_FORBIDDEN

    def _refusal(self, principal: Principal) -> Refusal:
        refusal = self.refuse_as.get(principal.name, self.refuse)
        assert refusal is not None, f"the policy says nothing about {principal.name}"
        return refusal


def policy(roles: set[str] | None, allow: set[str] | frozenset[str],
           refuse: Refusal | None = None, **refuse_as: Refusal) -> Policy:
    """Build a Policy from plain sets."""
    return Policy(None if roles is None else frozenset(roles), frozenset(allow), refuse,
                  refuse_as)


ALL_ROLES = {"trainee", "trainer", "examiner", "admin"}
PUBLIC = policy(None, EVERYONE)
ADMINS = policy({"admin"}, {ADMIN})
# Any signed-in person, about themselves (/me): nobody else's data is reachable.
ANY_SIGNED_IN = policy(ALL_ROLES, SIGNED_IN)
TRAINEES = policy({"trainee"}, {TRAINEE, OTHER_TRAINEE})
STAFF_THEMSELVES = policy({"trainer", "admin"}, {CLASS_TRAINER, OTHER_TRAINER, ADMIN})
NOT_CLASS_TRAINER = Refusal(403, "not_class_trainer")
CLASS_STAFF = policy({"trainer", "admin"}, {CLASS_TRAINER, ADMIN}, NOT_CLASS_TRAINER)


@dataclass(frozen=True)
class Entry:
    """One operation, its policy and what the request carries."""

    service: str
    operation: str  # "METHOD /path/{param}" as in the OpenAPI document
    policy: Policy
    body: Any = None  # JSON; None sends no body
    query: Mapping[str, str] = field(default_factory=dict)
    raw: tuple[bytes, str] | None = None  # a non-JSON body and its content type
    # A bulk operation past the gate answers 200 and refuses item by item: a refusal past the
    # gate is then the `code` of each item under `failed`, and nothing is under `approved`.
    per_item: bool = False

    @property
    def method(self) -> str:
        """Return the HTTP method."""
        return self.operation.split(" ", 1)[0]

    @property
    def path(self) -> str:
        """Return the path template."""
        return self.operation.split(" ", 1)[1]

    @property
    def key(self) -> tuple[str, str, str]:
        """Return (service, method, path), as the OpenAPI documents list operations."""
        return self.service, self.method, self.path

    def __str__(self) -> str:
        return f"{self.service} {self.operation}"


ENR, CERT, NOTI = "enrollment", "certification", "notification"
NO_ENROLMENT = Refusal(404, "enrollment_not_found")
OWN_ENROLMENT = policy({"trainee", "admin"}, {TRAINEE, ADMIN}, NO_ENROLMENT)
NO_CERTIFICATE = Refusal(404, "not_found")
SEES_CERTIFICATE = policy(ALL_ROLES, {TRAINEE, CLASS_TRAINER, EXAMINER, ADMIN}, NO_CERTIFICATE)
# A certificate's audit trail: its class's trainers, examiners, admins; any other trainer gets
# the 404 reading the certificate gives them (its holder reads the history instead).
STAFF_SEE_CERTIFICATE = policy({"trainer", "examiner", "admin"}, {CLASS_TRAINER, EXAMINER, ADMIN},
                               NO_CERTIFICATE)
CLASS_OVERSIGHT = policy({"trainer", "examiner", "admin"}, {CLASS_TRAINER, EXAMINER, ADMIN},
                         NOT_CLASS_TRAINER)
APPROVERS = policy({"trainer", "examiner", "admin"}, {EXAMINER, ADMIN},
                   class_trainer=Refusal(403, "approver_is_class_trainer"),
                   other_trainer=Refusal(403, "approver_role_required"))
ADMIN_ONLY_CHANGE = policy({"trainer", "admin"}, {ADMIN}, Refusal(403, "admin_only"))
RECEIPT = policy(None, set(), Refusal(401, "receipt_token_invalid"))
NOT_A_RECEIPT = {"not": "an array of delivery reports"}
CLASS_QUERY = {"class_id": "{class_id}"}

ENTRIES: tuple[Entry, ...] = (
    # enrollment: identity and accounts
    Entry(ENR, "POST /api/v1/auth/otp", PUBLIC),
    Entry(ENR, "POST /api/v1/auth/token", PUBLIC),
    Entry(ENR, "POST /api/v1/auth/password", PUBLIC),
    Entry(ENR, "GET /api/v1/me", ANY_SIGNED_IN),
    Entry(ENR, "PATCH /api/v1/me", ANY_SIGNED_IN, body={}),
    Entry(ENR, "GET /api/v1/me/person-category", ANY_SIGNED_IN),
    Entry(ENR, "PUT /api/v1/me/person-category", ANY_SIGNED_IN),
    Entry(ENR, "PUT /api/v1/me/birth-date", TRAINEES),
    Entry(ENR, "GET /api/v1/users", ADMINS),
    Entry(ENR, "POST /api/v1/users", ADMINS),
    Entry(ENR, "PATCH /api/v1/users/{user_id}", ADMINS),
    Entry(ENR, "PUT /api/v1/users/{user_id}/role", ADMINS),
    Entry(ENR, "POST /api/v1/users/{user_id}/password-reset", ADMINS),
    Entry(ENR, "POST /api/v1/users/{user_id}/disable", ADMINS),
    Entry(ENR, "POST /api/v1/users/{user_id}/enable", ADMINS),
    Entry(ENR, "PUT /api/v1/users/{user_id}/person-category", ADMINS),
    Entry(ENR, "GET /api/v1/users/{user_id}/eligibility-exceptions", ADMINS),
    Entry(ENR, "POST /api/v1/users/{user_id}/eligibility-exceptions", ADMINS),
    Entry(ENR, "POST /api/v1/users/{user_id}/identity-changes/confirm", ADMINS),
    Entry(ENR, "GET /api/v1/identity-changes", ADMINS),
    # enrollment: catalogue
    Entry(ENR, "GET /api/v1/categories", PUBLIC),
    Entry(ENR, "GET /api/v1/courses", PUBLIC),
    Entry(ENR, "POST /api/v1/courses", ADMINS),
    Entry(ENR, "GET /api/v1/courses/{course_id}", PUBLIC),
    Entry(ENR, "GET /api/v1/courses/{course_id}/rules", PUBLIC),
    Entry(ENR, "PUT /api/v1/courses/{course_id}/rules", ADMINS),
    Entry(ENR, "PUT /api/v1/courses/{course_id}/min-attendance", ADMINS),
    Entry(ENR, "GET /api/v1/classes", PUBLIC),
    Entry(ENR, "POST /api/v1/classes", ADMINS),
    Entry(ENR, "GET /api/v1/classes/{class_id}", PUBLIC),
    Entry(ENR, "PATCH /api/v1/classes/{class_id}", ADMINS),
    Entry(ENR, "POST /api/v1/classes/{class_id}/reschedule", ADMINS),
    Entry(ENR, "GET /api/v1/classes/{class_id}/sessions", PUBLIC),
    Entry(ENR, "GET /api/v1/me/classes", STAFF_THEMSELVES),
    Entry(ENR, "GET /api/v1/admin/stats", ADMINS),
    # enrollment: enrolments, lottery, eligibility
    Entry(ENR, "POST /api/v1/enrollments", TRAINEES, body={"class_id": "{class_id}"}),
    Entry(ENR, "POST /api/v1/classes/{class_id}/enrollments", ADMINS),
    Entry(ENR, "GET /api/v1/me/enrollments", ANY_SIGNED_IN),
    Entry(ENR, "GET /api/v1/enrollments/{enrollment_id}",
          policy(ALL_ROLES, {TRAINEE, CLASS_TRAINER, ADMIN}, NO_ENROLMENT)),
    Entry(ENR, "POST /api/v1/enrollments/{enrollment_id}/accept",
          policy({"trainee"}, {TRAINEE}, NO_ENROLMENT)),
    Entry(ENR, "POST /api/v1/enrollments/{enrollment_id}/move", OWN_ENROLMENT,
          body={"class_id": "{lottery_class_id}"}),
    Entry(ENR, "GET /api/v1/classes/{class_id}/readiness", TRAINEES),
    Entry(ENR, "GET /api/v1/classes/{class_id}/eligibility", TRAINEES),
    Entry(ENR, "GET /api/v1/classes/{class_id}/allocation", PUBLIC),
    Entry(ENR, "PUT /api/v1/classes/{class_id}/allocation", ADMINS),
    Entry(ENR, "POST /api/v1/classes/{class_id}/applications", TRAINEES, body={}),
    Entry(ENR, "POST /api/v1/applications/{application_id}/withdraw",
          policy({"trainee"}, {TRAINEE}, Refusal(404, "application_not_found"))),
    Entry(ENR, "GET /api/v1/me/applications", TRAINEES),
    Entry(ENR, "GET /api/v1/classes/{class_id}/draw", PUBLIC),
    Entry(ENR, "POST /api/v1/classes/{class_id}/draw", ADMINS),
    # enrollment: the classroom (the class's trainers and administrators)
    Entry(ENR, "GET /api/v1/classes/{class_id}/roster", CLASS_STAFF),
    Entry(ENR, "GET /api/v1/classes/{class_id}/roster.csv", CLASS_STAFF),
    Entry(ENR, "POST /api/v1/classes/{class_id}/roster/import", CLASS_STAFF,
          raw=(b"phone,name\n", "text/csv")),
    Entry(ENR, "PUT /api/v1/classes/{class_id}/attendance/{date}", CLASS_STAFF,
          body={"records": [{"enrollment_id": "{enrollment_id}", "status": "present"}]}),
    Entry(ENR, "PUT /api/v1/enrollments/{enrollment_id}/result", CLASS_STAFF,
          body={"theory_score": 90, "practical_score": 88}),
    Entry(ENR, "POST /api/v1/classes/{class_id}/release-results", CLASS_STAFF),
    Entry(ENR, "GET /api/v1/classes/{class_id}/hours", CLASS_STAFF),
    Entry(ENR, "PUT /api/v1/classes/{class_id}/sessions", CLASS_STAFF,
          body={"times": [{"starts_at": "09:00", "ends_at": "12:00"},
                          {"starts_at": "14:00", "ends_at": "17:00"}]}),
    Entry(ENR, "GET /api/v1/classes/{class_id}/checkin-code", CLASS_STAFF),
    Entry(ENR, "GET /api/v1/classes/{class_id}/checkins", CLASS_STAFF),
    Entry(ENR, "PUT /api/v1/classes/{class_id}/sessions/{date}/{no}/checkins/{enrollment_id}",
          CLASS_STAFF, body={"checked_in_at": "{checked_in_at}", "reason": "矩阵测试补录"}),
    Entry(ENR, "GET /api/v1/classes/{class_id}/geofence", CLASS_STAFF),
    Entry(ENR, "PUT /api/v1/classes/{class_id}/geofence", CLASS_STAFF, body={}),
    Entry(ENR, "GET /api/v1/classes/{class_id}/plans", CLASS_STAFF),
    Entry(ENR, "PUT /api/v1/classes/{class_id}/plans", CLASS_STAFF, body={}),
    Entry(ENR, "GET /api/v1/classes/{class_id}/claim-pack/{file}", CLASS_STAFF),
    Entry(ENR, "GET /api/v1/claim-templates", STAFF_THEMSELVES),
    Entry(ENR, "POST /api/v1/checkins", TRAINEES, body={"token": "not-a-checkin-code"}),
    Entry(ENR, "GET /api/v1/classes/{class_id}/survey-results", CLASS_STAFF),
    Entry(ENR, "GET /api/v1/classes/{class_id}/survey-results.csv", CLASS_STAFF),
    Entry(ENR, "GET /api/v1/admin/survey-results", ADMINS),
    Entry(ENR, "GET /api/v1/admin/survey-results.csv", ADMINS),
    # enrollment: surveys, opened by the code their SMS carries
    Entry(ENR, "GET /api/v1/surveys/{code}", PUBLIC),
    Entry(ENR, "POST /api/v1/surveys/{code}", PUBLIC),
    Entry(ENR, "POST /api/v1/surveys/{code}/employment", PUBLIC),
    Entry(ENR, "GET /api/v1/me/surveys", TRAINEES),
    Entry(ENR, "GET /api/v1/ops/enrollment/queues", ADMINS),
    # enrollment: changes that end an enrolment or a class come last
    Entry(ENR, "POST /api/v1/enrollments/{enrollment_id}/cancel", OWN_ENROLMENT),
    Entry(ENR, "POST /api/v1/classes/{class_id}/cancel", ADMINS),
    # certification: reading certificates
    Entry(CERT, "GET /api/v1/me/certificates", ANY_SIGNED_IN),
    Entry(CERT, "GET /api/v1/me/held-certificates", ANY_SIGNED_IN),
    Entry(CERT, "POST /api/v1/me/held-certificates", ANY_SIGNED_IN),
    Entry(CERT, "GET /api/v1/certificates", CLASS_OVERSIGHT, query=CLASS_QUERY),
    Entry(CERT, "GET /api/v1/results", CLASS_OVERSIGHT, query=CLASS_QUERY),
    Entry(CERT, "GET /api/v1/certificates/{certificate_id}", SEES_CERTIFICATE),
    Entry(CERT, "GET /api/v1/certificates/{certificate_id}/pdf", SEES_CERTIFICATE),
    Entry(CERT, "GET /api/v1/certificates/{certificate_id}/credential", SEES_CERTIFICATE),
    Entry(CERT, "GET /api/v1/certificates/{certificate_id}/history", SEES_CERTIFICATE),
    Entry(CERT, "GET /api/v1/certificates/{certificate_id}/audit", STAFF_SEE_CERTIFICATE),
    # certification: issuing (four eyes: never a trainer of the class)
    Entry(CERT, "POST /api/v1/certificates/approve", APPROVERS,
          body={"ids": ["{certificate_id}"]}, per_item=True),
    Entry(CERT, "POST /api/v1/certificates/{certificate_id}/approve", APPROVERS),
    Entry(CERT, "POST /api/v1/results/{enrollment_id}/certificate", APPROVERS),
    # certification: changing an issued certificate
    Entry(CERT, "POST /api/v1/certificates/{certificate_id}/suspend",
          policy({"trainer", "admin"}, {CLASS_TRAINER, ADMIN}, NOT_CLASS_TRAINER),
          body={"reason": "矩阵测试"}),
    Entry(CERT, "POST /api/v1/certificates/{certificate_id}/reinstate", ADMIN_ONLY_CHANGE),
    Entry(CERT, "POST /api/v1/certificates/{certificate_id}/revoke", ADMIN_ONLY_CHANGE,
          body={"reason": "矩阵测试"}),
    Entry(CERT, "POST /api/v1/certificates/{certificate_id}/reissue", ADMIN_ONLY_CHANGE,
          body={"reason": "矩阵测试"}),
    Entry(CERT, "POST /api/v1/certificates/{certificate_id}/credential/reissue", ADMINS),
    Entry(CERT, "GET /api/v1/ops/certification/queues", ADMINS),
    # certification: the public's verification
    Entry(CERT, "GET /api/v1/verify/{code}", PUBLIC),
    Entry(CERT, "POST /api/v1/verify/number", PUBLIC),
    Entry(CERT, "POST /api/v1/verify", PUBLIC),
    Entry(CERT, "GET /.well-known/did.json", PUBLIC),
    Entry(CERT, "GET /api/v1/status-lists/{list_id}", PUBLIC),
    # notification
    Entry(NOTI, "GET /api/v1/me/notifications", ANY_SIGNED_IN),
    Entry(NOTI, "GET /api/v1/me/preferences", ANY_SIGNED_IN),
    Entry(NOTI, "PUT /api/v1/me/preferences", ANY_SIGNED_IN, body={}),
    Entry(NOTI, "GET /api/v1/notifications", ADMINS),
    Entry(NOTI, "GET /api/v1/notifications/stats", ADMINS),
    Entry(NOTI, "GET /api/v1/ops/notification/queues", ADMINS),
    Entry(NOTI, "GET /api/v1/notifications/unsubscribe/{token}", PUBLIC),
    Entry(NOTI, "POST /api/v1/notifications/unsubscribe/{token}", PUBLIC),
    Entry(NOTI, "POST /api/v1/receipts/aliyun", RECEIPT, body=NOT_A_RECEIPT),
    Entry(NOTI, "POST /api/v1/receipts/tencent", RECEIPT, body=NOT_A_RECEIPT),
    # The dev inbox exists only with dev_inbox on and the sink alone (404 otherwise), and the
    # production gateway answers 404 for every /dev/ path.
    Entry(NOTI, "GET /dev/inbox", PUBLIC),
    Entry(NOTI, "GET /dev/inbox.json", PUBLIC),
    Entry(NOTI, "GET /dev/inbox/messages", PUBLIC),
)

# Routes outside the OpenAPI documents, and why each may stay outside the matrix.
OUTSIDE_THE_API: Mapping[tuple[str, str], str] = {
    ("GET", "/healthz"): "liveness probe, no data",
    ("GET", "/readyz"): "readiness probe, no data",
    ("GET", "/metrics"): "Prometheus metrics, scraped from the service port (not routed)",
    ("GET", "/openapi.json"): "the service's public OpenAPI document",
    ("GET", "/verify"): "certification's public verification page",
    ("POST", "/verify"): "certification's public verification page",
    ("GET", "/verify/{code}"): "certification's public verification page",
}

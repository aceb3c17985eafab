"""The survey after a class: opened by its code; results for staff."""

from __future__ import annotations

from aiohttp import web

from services.enrollment.api.base import ADMIN, deps, routes
from services.enrollment.commands_fair import AnswerEmployment, AnswerSurvey
from services.enrollment.handlers import surveys as handlers
from services.enrollment.views import surveys as views
from services.enrollment.views.models.fair import MySurveyList, SurveyOut, SurveyResults
from shared.web.api import ApiRequest

TAGS = ("survey",)


@routes.get("/api/v1/surveys/{code}", response=SurveyOut, tags=TAGS, extra_statuses=(404,))
async def get_survey(req: ApiRequest[None, None]) -> SurveyOut:
    """Open a survey by the code in its SMS (no account needed: the code is the key)."""
    return await handlers.get(req.path("code"), deps=deps(req))


@routes.post("/api/v1/surveys/{code}", body=AnswerSurvey, response=SurveyOut, tags=TAGS,
             extra_statuses=(404, 409))
async def answer_survey(req: ApiRequest[AnswerSurvey, None]) -> SurveyOut:
    """Answer the five questions (1-5 stars) and a comment; one answer per enrolment."""
    return await handlers.answer(req.path("code"), req.body, deps=deps(req))


@routes.post("/api/v1/surveys/{code}/employment", body=AnswerEmployment, response=SurveyOut,
             tags=TAGS, extra_statuses=(404, 409))
async def answer_employment(req: ApiRequest[AnswerEmployment, None]) -> SurveyOut:
    """Six months on: working in this occupation? (optional, once)"""
    return await handlers.answer_employment(req.path("code"), req.body, deps=deps(req))


@routes.get("/api/v1/me/surveys", response=MySurveyList, roles={"trainee"}, tags=TAGS)
async def my_surveys(req: ApiRequest[None, None]) -> MySurveyList:
    """List the caller's surveys with their codes."""
    return await views.mine(deps(req).pool, req.user.user_id)


@routes.get("/api/v1/classes/{class_id}/survey-results", response=SurveyResults,
            roles={"trainer", "admin"}, tags=TAGS, extra_statuses=(403, 404))
async def class_survey_results(req: ApiRequest[None, None]) -> SurveyResults:
    """Return a class's averages per question and its comments (its trainers, admins)."""
    return await handlers.class_results(req.path_uuid("class_id"), deps=deps(req),
                                        actor=req.user)


@routes.get("/api/v1/classes/{class_id}/survey-results.csv", roles={"trainer", "admin"},
            tags=TAGS, content_types=("text/csv",), extra_statuses=(403, 404))
async def class_survey_results_csv(req: ApiRequest[None, None]) -> web.Response:
    """Export a class's survey results as CSV (UTF-8 BOM)."""
    class_id = req.path_uuid("class_id")
    results = await handlers.class_results(class_id, deps=deps(req), actor=req.user)
    return _csv(views.results_csv(results), f"survey-{class_id}.csv")


@routes.get("/api/v1/admin/survey-results", response=SurveyResults, roles=ADMIN, tags=TAGS)
async def trainer_survey_results(req: ApiRequest[None, None]) -> SurveyResults:
    """Return every trainer's averages over the classes they taught."""
    return await views.by_trainer(deps(req).pool)


@routes.get("/api/v1/admin/survey-results.csv", roles=ADMIN, tags=TAGS,
            content_types=("text/csv",))
async def trainer_survey_results_csv(req: ApiRequest[None, None]) -> web.Response:
    """Export every trainer's averages as CSV (UTF-8 BOM)."""
    return _csv(views.results_csv(await views.by_trainer(deps(req).pool)), "survey-trainers.csv")


def _csv(data: bytes, name: str) -> web.Response:
    return web.Response(body=data, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

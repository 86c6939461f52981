"""Feedback: submit, list the caller's own."""

from __future__ import annotations

from ..commands.feedback import ListFeedback, SubmitFeedback
from ..models import Feedback
from ..schemas.feedback import FeedbackCreated, FeedbackOut, FeedbackQuery, FeedbackSchema
from ..services import feedback
from ..services.access import own_resources
from ..web import CapabilityBlueprint, Page, current_auth, deps

bp = CapabilityBlueprint("feedback", __name__)


@bp.operation("POST", "/users/self/feedback", operation_id="user-create-feedback", status=201,
              summary="Submit your user feedback.", body=FeedbackSchema,
              response=FeedbackCreated)
def create_feedback(body: SubmitFeedback) -> Feedback:
    return feedback.submit_feedback(deps(), current_auth().user, body)


@bp.operation("GET", "/users/<userId>/feedback", operation_id="user-list-feedback",
              summary="Submitted feedback of the given user.", query=FeedbackQuery,
              response=FeedbackOut, many=True, extra_statuses=(403, 404))
def list_feedback(userId: str, query: ListFeedback) -> Page:
    user = own_resources(current_auth(), userId)
    # the document gives this list no pagination headers
    return Page.whole(feedback.list_feedback(deps(), user, query.subject), paginated=False)

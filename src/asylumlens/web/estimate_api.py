"""``GET /api/v1/estimate``: the outcome model's estimate for a case described by its codes.

The same answer as ``asylumlens estimate -f json`` (:func:`asylumlens.model.estimate`),
for the release the request is served from (``release=`` pins another). No model for the
release is a 404 whose message gives the train command; a bad custody or representation
value is a 422; a code the model never saw is a warning in the body, not an error.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from asylumlens.web.context import StateDep
from asylumlens.web.errors import ERROR_RESPONSES, WebError
from asylumlens.web.params import reject_unknown_parameters

router = APIRouter(
    prefix="/api/v1",
    tags=["api"],
    responses=ERROR_RESPONSES,
    dependencies=[Depends(reject_unknown_parameters)],
)


class Contribution(BaseModel):
    feature: str
    value: Any
    log_odds: float


class EstimateBody(BaseModel):
    """A calibrated probability of a grant, its bootstrap interval and its reasons."""

    ok: bool = True
    probability: float
    low: float
    high: float
    contributions: list[Contribution]
    release: str
    model_window: dict[str, Any]
    synthetic: bool
    inputs: dict[str, Any]
    warnings: list[str]
    caveat: str


@router.get("/estimate", response_model=EstimateBody, summary="Outcome model estimate for a case")
def estimate(
    state: StateDep,
    judge: Annotated[str, Query(min_length=1, max_length=16, description="Judge code.")],
    court: Annotated[str, Query(min_length=1, max_length=16, description="Court code.")],
    nationality: Annotated[
        str, Query(min_length=1, max_length=16, description="Nationality code.")
    ],
    custody: Annotated[str | None, Query(pattern="^[DRNdrn]$", description="D, R or N.")] = None,
    represented: Annotated[bool | None, Query(description="true or false.")] = None,
) -> EstimateBody:
    """`asylumlens.model.estimate`: it describes past decisions of this court, not the
    merits of a case, and is not legal advice (the body's `caveat` says so)."""
    from asylumlens.model import ModelError
    from asylumlens.model import estimate as compute

    try:
        result = compute(
            state.store,
            judge=judge,
            court=court,
            nationality=nationality,
            custody=custody,
            represented=represented,
            release=state.release,
        )
    except ModelError as exc:
        status = 404 if "asylumlens model train" in str(exc) else 422
        raise WebError(status, [str(exc)]) from None
    return EstimateBody.model_validate(result.as_dict())

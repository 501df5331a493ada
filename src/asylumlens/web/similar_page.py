"""The public "cases like this" page: the context panel for any combination of codes.

The same figures as ``/api/v1/similar`` (its JSON and CSV twins) and as the panel on a
case's private page, from :func:`asylumlens.analytics.case_context`. Public: it takes codes,
never a case.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from asylumlens.analytics import DEFAULT_DEFINITION, DEFINITIONS
from asylumlens.web.context import StateDep
from asylumlens.web.params import DefinitionQuery, check_definition, reject_unknown_page_parameters
from asylumlens.web.rendering import render_page

router = APIRouter(include_in_schema=False, dependencies=[Depends(reject_unknown_page_parameters)])


@router.get("/similar")
def similar(
    request: Request,
    state: StateDep,
    judge: Annotated[str | None, Query()] = None,
    court: Annotated[str | None, Query()] = None,
    nationality: Annotated[str | None, Query()] = None,
    custody: Annotated[str | None, Query(pattern="^[DRN]?$")] = None,
    represented: Annotated[bool | None, Query()] = None,
    definition: DefinitionQuery = DEFAULT_DEFINITION,
) -> Response:
    check_definition(definition)
    args: dict[str, Any] = {
        "judge": judge or None,
        "court": court or None,
        "nationality": nationality or None,
        "custody": custody or None,
        "represented": represented,
    }
    ctx = state.queries.case_context(
        judge=args["judge"], court=args["court"], nationality=args["nationality"],
        custody=args["custody"], represented=represented, definition=definition,
    )  # fmt: skip
    return render_page(
        request, "similar.html", title="Cases like this", ctx=ctx, query_args=args,
        definition=definition, definitions=list(DEFINITIONS), twin="/api/v1/similar",
    )  # fmt: skip

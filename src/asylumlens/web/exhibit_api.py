"""Evidence exhibits over HTTP: a streamed, encrypted upload, downloads with ranges, verify,
the chain of custody, and the case's packet, index and signed proof manifest.

Thin over :mod:`asylumlens.cases.exhibits` and :mod:`asylumlens.cases.evidence_packet`. The
upload is the one route that cannot take its body from FastAPI: the file part is read from
the request stream (:mod:`asylumlens.web.form_stream`) and sealed chunk by chunk off the
event loop, so a video of several GB never sits in memory or, in plaintext, on disk. Who may
upload is checked before a byte of the body is read, and an upload cut off or refused half
way leaves nothing behind (the partial file is removed, no row is written).

Every download is an attachment (``Content-Disposition: attachment``, ``nosniff``) named by
the exhibit's label, never by the client's file name, with byte ranges for video players.

The packet builders (pypdf, fpdf2 and Pillow, some 60 MiB resident) are imported by the three
routes that use them, on first use: a server that only takes uploads never loads them, which
keeps an upload's peak RSS within its budget (``bench/exhibits.py``).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from asylumlens.cases import exhibits
from asylumlens.cases.audit import AuditView
from asylumlens.cases.evidence_store import PendingUpload, UploadTooLarge
from asylumlens.cases.exhibits import ExhibitView, VerifyResult
from asylumlens.cases.keys import new_file_key
from asylumlens.cases.sealed import SealBroken
from asylumlens.web.case_access import ApiMember, DbDep, Member, workspace
from asylumlens.web.case_api import PRIVATE_ERRORS
from asylumlens.web.errors import ErrorBody, WebError
from asylumlens.web.form_stream import FilePart, stream_form
from asylumlens.web.ranges import byte_range

log = logging.getLogger("asylumlens.web")

router = APIRouter(prefix="/api/v1", tags=["cases (private)"], responses=PRIVATE_ERRORS)

EXTENSIONS: Final = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "text/plain": ".txt",
}
META_FIELDS: Final = frozenset(exhibits.FIELDS) - {"original_name"}
UPLOAD_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "title"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "title": {"type": "string"},
                        "kind": {"type": "string", "enum": sorted(exhibits.KINDS)},
                        "description": {"type": "string"},
                        "label": {"type": "string"},
                        "source": {"type": "string"},
                        "public_url": {"type": "string"},
                        "first_published": {"type": "string", "format": "date"},
                        "obtained": {"type": "string", "format": "date"},
                        "translation_of": {"type": "integer"},
                    },
                }
            }
        },
    }
}


class ExhibitList(BaseModel):
    ok: bool = True
    exhibits: list[ExhibitView]


class Verification(BaseModel):
    ok: bool
    results: list[VerifyResult]


class Custody(BaseModel):
    ok: bool = True
    events: list[AuditView]


def download_name(view: ExhibitView, suffix: str | None = None) -> str:
    """``exhibit-B.mp4``: the label and the sniffed type, never the client's file name."""
    return f"exhibit-{view.label}{suffix or EXTENSIONS.get(view.content_type, '.bin')}"


def attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def exhibit_meta(fields: dict[str, str], part: FilePart) -> dict[str, object]:
    """The exhibit's fields from the form (empty ones dropped; the file's own name kept,
    encrypted, as ``original_name``); a field that is not an exhibit's is a 422."""
    unknown = sorted(set(fields) - META_FIELDS - {"csrf_token"})
    if unknown:
        raise WebError(422, [f"{unknown[0]}: not a field of an exhibit"])
    meta: dict[str, object] = {k: v for k, v in fields.items() if k in META_FIELDS and v.strip()}
    if part.filename:
        meta["original_name"] = part.filename
    return meta


async def receive_upload(
    request: Request,
    member: Member,
    case_id: int,
    on_file: Any = None,
) -> tuple[ExhibitView | None, dict[str, str]]:
    """Stream the request's multipart body into a sealed file and record the exhibit.

    ``on_file(part, fields)`` may refuse when the file begins (a page's CSRF check). The
    caller's database session is in ``request.state.case_db``. Returns the new exhibit
    (None when the client went away) and the form's text fields."""
    ws = workspace(request)
    db = request.state.case_db
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > ws.max_upload_bytes + 1024 * 1024:
        raise WebError(413, [f"file: larger than the limit of {ws.max_upload_bytes} bytes"])
    await run_in_threadpool(exhibits.check_upload, db, member.actor, case_id)
    store = ws.evidence()
    pending: PendingUpload = store.begin_upload(new_file_key())

    def started(part: FilePart, fields: dict[str, str]) -> None:
        if on_file is not None:
            on_file(part, fields)

    async def write(data: bytes) -> None:
        await run_in_threadpool(pending.write, data)

    try:
        fields, part = await stream_form(
            request.headers.get("content-type"), request.stream(), started, write
        )
        if part is None:
            raise WebError(422, ["file: missing; send the exhibit as the `file` part"])
        finished = await run_in_threadpool(pending.finish)
    except ClientDisconnect:
        pending.abort()
        return None, {}
    except UploadTooLarge:
        pending.abort()
        raise WebError(413, [f"file: larger than the limit of {store.max_bytes} bytes"]) from None
    except BaseException:
        pending.abort()
        raise
    try:
        meta = exhibit_meta(fields, part)
    except WebError:
        exhibits.discard(store, finished)
        raise

    def record() -> ExhibitView:
        try:
            view = exhibits.add_exhibit(
                db, member.actor, member.key, store, case_id, meta, finished
            )
            db.commit()
        except BaseException:
            db.rollback()
            exhibits.discard(store, finished)
            raise
        return view

    return await run_in_threadpool(record), fields


@router.post(
    "/cases/{case_id}/exhibits",
    response_model=ExhibitView,
    status_code=201,
    openapi_extra=UPLOAD_BODY,
    responses={413: {"model": ErrorBody, "description": "Larger than the upload limit"}},
)
async def upload_exhibit(case_id: int, request: Request, db: DbDep, member: ApiMember) -> Any:
    """Upload an exhibit (multipart: `file`, `title`, optional `kind`, `description`, …):
    streamed, hashed (SHA-256 of the original) and sealed as it arrives; returns the
    exhibit with its `id` and `sha256`. The content type is sniffed from the bytes."""
    request.state.case_db = db
    view, _ = await receive_upload(request, member, case_id)
    if view is None:
        return Response(status_code=400)
    return JSONResponse(jsonable_encoder(view), status_code=201)


@router.get("/cases/{case_id}/exhibits", response_model=ExhibitList)
def list_exhibits(case_id: int, db: DbDep, member: ApiMember) -> ExhibitList:
    """The case's exhibits, in upload order."""
    views = exhibits.list_exhibits(db, member.actor, member.key, case_id)
    db.commit()
    return ExhibitList(exhibits=views)


def _guarded(chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    except SealBroken:
        # too late for an error status: stop the body short, so the client sees a cut
        log.error("an exhibit failed authentication while being sent; run `cases verify`")
        raise


@router.get(
    "/cases/{case_id}/exhibits/{exhibit_id}/content",
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The original bytes"},
        206: {"description": "The requested byte range"},
        416: {"model": ErrorBody, "description": "Range not satisfiable"},
    },
)
def download_exhibit(
    case_id: int, exhibit_id: int, request: Request, db: DbDep, member: ApiMember
) -> Response:
    """The exhibit's original bytes as an attachment; `Range: bytes=…` for a part (206)."""
    size = exhibits.content_size(db, member.actor, case_id, exhibit_id)
    wanted = byte_range(request.headers.get("range"), size)
    view, chunks = exhibits.exhibit_content(
        db, member.actor, member.key, workspace(request).evidence(), case_id, exhibit_id,
        range=wanted,
    )  # fmt: skip
    db.commit()
    headers = {
        **attachment(download_name(view)),
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    if wanted is None:
        headers["Content-Length"] = str(view.size)
        return StreamingResponse(_guarded(chunks), media_type=view.content_type, headers=headers)
    first, last = wanted
    headers["Content-Length"] = str(last - first + 1)
    headers["Content-Range"] = f"bytes {first}-{last}/{view.size}"
    return StreamingResponse(
        _guarded(chunks), status_code=206, media_type=view.content_type, headers=headers
    )


@router.post("/cases/{case_id}/exhibits/verify", response_model=Verification)
def verify_exhibits(case_id: int, request: Request, db: DbDep, member: ApiMember) -> Verification:
    """Decrypt and re-hash each exhibit of the case against its recorded SHA-256:
    `ok`, `tampered` or `missing` each (every check is logged in its custody)."""
    results = exhibits.verify_exhibits(
        db, member.actor, member.key, workspace(request).evidence(), case_id
    )
    db.commit()
    return Verification(ok=all(r.status == "ok" for r in results), results=results)


@router.get("/cases/{case_id}/exhibits/{exhibit_id}/custody", response_model=Custody)
def exhibit_custody(case_id: int, exhibit_id: int, db: DbDep, member: ApiMember) -> Custody:
    """The exhibit's chain of custody: upload, views, downloads, exports, checks."""
    events = exhibits.custody(db, member.actor, case_id, exhibit_id)
    db.commit()
    return Custody(events=events)


def _today(request: Request) -> Any:
    return workspace(request).now().date()


@router.get(
    "/cases/{case_id}/packet.pdf",
    responses={200: {"content": {"application/pdf": {}}, "description": "The packet"}},
)
def packet(case_id: int, request: Request, db: DbDep, member: ApiMember) -> Response:
    """The evidence packet: cover, table of contents (exhibit, title, pages, SHA-256), each
    exhibit behind its tab, consecutive page numbers; videos listed by hash."""
    from asylumlens.cases import evidence_packet  # deferred: see the module docstring

    out = io.BytesIO()
    evidence_packet.write_packet(
        db, member.actor, member.key, workspace(request).evidence(), case_id, out,
        prepared_by=member.organisation, today=_today(request),
    )  # fmt: skip
    db.commit()
    headers = {**attachment(f"case-{case_id}-packet.pdf"), "X-Content-Type-Options": "nosniff"}
    return Response(out.getvalue(), media_type="application/pdf", headers=headers)


@router.get(
    "/cases/{case_id}/exhibits.csv",
    responses={200: {"content": {"text/csv": {}}, "description": "The exhibit index"}},
)
def index(case_id: int, request: Request, db: DbDep, member: ApiMember) -> Response:
    """The exhibit index: label, title, kind, type, size, SHA-256, packet pages."""
    from asylumlens.cases import evidence_packet  # deferred: see the module docstring

    text = evidence_packet.index_csv(
        db, member.actor, member.key, workspace(request).evidence(), case_id
    )
    db.commit()
    headers = {**attachment(f"case-{case_id}-exhibits.csv"), "X-Content-Type-Options": "nosniff"}
    return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/cases/{case_id}/proof.json",
    responses={200: {"content": {"application/json": {}}, "description": "Signed manifest"}},
)
def proof(case_id: int, request: Request, db: DbDep, member: ApiMember) -> Response:
    """The signed proof manifest (Ed25519): each exhibit's SHA-256, size, kind, intake and
    custody; check it offline with `asylumlens cases verify-files MANIFEST.json FILE…`."""
    from asylumlens.cases import evidence_packet  # deferred: see the module docstring

    doc = evidence_packet.proof_manifest(
        db, member.actor, member.key, case_id, made_at=workspace(request).now()
    )
    db.commit()
    headers = {**attachment(f"case-{case_id}-proof.json"), "X-Content-Type-Options": "nosniff"}
    body = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return Response(body, media_type="application/json", headers=headers)

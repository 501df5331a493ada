"""What every request handler needs: the release it is served from, and that release's tools.

The app's default release is chosen at start-up and never changes for the life of the
process, so an unpinned URL always shows the same figures, ETags and cached results.

A request may pin another release of the same store with ``?release=ID`` (a permalink that
must keep its numbers after a newer release is ingested). Each pinned release gets its own
:class:`WebState` (its own pinned :class:`~asylumlens.store.Release` version, ETag and
memoised queries), created on first use, kept in a small bounded LRU
(:class:`PinnedStates`) shared by the app's worker threads. An unknown id is a 404 naming
the valid ids, closest first. Handlers receive the right state through the typed
dependency :data:`StateDep`; :func:`get_state` also leaves it on ``request.state.web`` for
the page renderer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated, Final

from fastapi import Depends, Query, Request
from jinja2 import Environment

from asylumlens.analytics import Engine
from asylumlens.errors import StoreError
from asylumlens.store import Release, Store, closest_release_ids
from asylumlens.web.errors import not_found
from asylumlens.web.provenance import ReleaseInfo, release_etag, release_info
from asylumlens.web.queries import Queries

PINNED_MAX: Final = 8
"""Pinned releases kept open at once (each holds a frame memo); older ones are rebuilt on
their next request, from the same immutable version (the process keeps its read pin)."""


@dataclass(frozen=True)
class WebState:
    store: Store
    release: Release
    info: ReleaseInfo
    etag: str
    queries: Queries
    templates: Environment
    base_url: str = ""
    """Prefix of the absolute links the app builds (``next``, ``Link``, the citation's
    permalink): ``serve --base-url``, else empty, so links are relative; never taken from
    the Host header."""
    pinned: PinnedStates | None = field(default=None, compare=False, repr=False)
    """The states of other releases requested with ``?release=`` (only on the default)."""
    pin: str | None = None
    """The release id when this state serves a pinned request, else None."""
    engine: Engine | None = field(default=None, compare=False, repr=False)
    """The app's analytics engine (connections, compiled queries), shared by every pinned
    state; None means the process default."""

    def for_release(self, release_id: str) -> WebState:
        """The state serving ``release_id``: this one's data, or that release's own."""
        if self.pinned is None:
            return self if release_id == self.release.id else _unknown(self.store, release_id)
        return self.pinned.get(self, release_id)


def build_state(
    store: Store,
    release: Release,
    templates: Environment,
    base_url: str = "",
    pinned: PinnedStates | None = None,
    pin: str | None = None,
    engine: Engine | None = None,
) -> WebState:
    """A state for ``release`` (a version already pinned by ``store.release``)."""
    info = release_info(release)
    return WebState(
        store=store,
        release=release,
        info=info,
        etag=release_etag(info),
        queries=Queries(store, release, engine=engine),
        templates=templates,
        base_url=base_url,
        pinned=pinned,
        pin=pin,
        engine=engine,
    )


def _unknown(store: Store, release_id: str) -> WebState:
    ranked = closest_release_ids(release_id, (r.id for r in store.releases()))
    raise not_found(
        f"no release {release_id!r} in this store; valid: {', '.join(ranked) or 'none'}"
    )


class PinnedStates:
    """The lazily built, bounded, thread-safe states of pinned releases."""

    def __init__(self, maximum: int = PINNED_MAX) -> None:
        self.maximum = maximum
        self._states: OrderedDict[str, WebState] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, default: WebState, release_id: str) -> WebState:
        """The state of ``release_id``: the default's own data (with the pin set) when it is
        the default release, else that release's state, built once and then reused."""
        with self._lock:
            found = self._states.get(release_id)
            if found is not None:
                self._states.move_to_end(release_id)
                return found
        if release_id == default.release.id:
            state = _with_pin(default, release_id)
        else:
            if release_id not in {r.id for r in default.store.releases()}:
                _unknown(default.store, release_id)
            try:
                release = default.store.release(release_id)
            except StoreError:
                _unknown(default.store, release_id)
                raise  # pragma: no cover - _unknown always raises
            state = build_state(
                default.store,
                release,
                default.templates,
                default.base_url,
                pin=release_id,
                engine=default.engine,
            )
        with self._lock:
            kept = self._states.setdefault(release_id, state)  # a racing thread's wins
            self._states.move_to_end(release_id)
            while len(self._states) > self.maximum:
                self._states.popitem(last=False)
            return kept


def _with_pin(state: WebState, pin: str) -> WebState:
    """``state``'s data under a pinned request: same release, queries and ETag."""
    return WebState(
        store=state.store,
        release=state.release,
        info=state.info,
        etag=state.etag,
        queries=state.queries,
        templates=state.templates,
        base_url=state.base_url,
        pinned=None,
        pin=pin,
        engine=state.engine,
    )


ReleaseQuery = Annotated[
    str | None,
    Query(
        description=(
            "Serve this release of the store (an id listed on the Data page) "
            "instead of the default one: a permalink whose figures stay put when a newer "
            "release is ingested. Unknown ids give 404 with the valid ones."
        ),
    ),
]


def get_state(request: Request, release: ReleaseQuery = None) -> WebState:
    """The state serving this request: the default release, or the one ``release=`` pins."""
    default: WebState = request.app.state.web
    state = default if not release else default.for_release(release.strip())
    request.state.web = state
    return state


StateDep = Annotated[WebState, Depends(get_state)]

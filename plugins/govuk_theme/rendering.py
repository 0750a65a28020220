"""Rendering shortcuts that keep a build linear and quick without changing any page.

Pages repeat a lot: the header and footer are the same on every page but for the current
section, and each item is listed on its type's list, its wards' pages and the archive.
Each is rendered once per build and reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket, FileSystemBytecodeCache
from markupsafe import Markup

from .interface import SPEAKING

# GOV.UK Frontend components the theme uses, made Jinja globals so that no page pays for
# importing them on every render. Name -> folder under govuk_frontend_jinja/components/.
COMPONENTS = {
    "govukBreadcrumbs": "breadcrumbs",
    "govukInsetText": "inset-text",
    "govukNotificationBanner": "notification-banner",
    "govukPagination": "pagination",
    "govukPhaseBanner": "phase-banner",
    "govukSkipLink": "skip-link",
    "govukSummaryList": "summary-list",
    "govukWarningText": "warning-text",
}


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates shared by every generator's Jinja environment in the process,
    and kept on disk (``keep_in``) for the next build's process.

    Pelican gives each generator its own environment, so without this every template (the
    GOV.UK macros among them) is compiled once per generator, and each build compiles them
    all again. Jinja keys each entry by the template's source checksum, so an edited
    template is compiled again; the environment's options are in ``settings`` (a key of
    them, ``plugins.cache_keys``), and a build with other options starts afresh.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._disk: FileSystemBytecodeCache | None = None
        self._settings = ""

    def keep_in(self, folder: Path | None, settings: str = "") -> None:
        if settings != self._settings:
            self._code, self._settings = {}, settings
        if folder:
            folder.mkdir(parents=True, exist_ok=True)
        self._disk = FileSystemBytecodeCache(str(folder)) if folder else None

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])
        elif self._disk:
            self._disk.load_bytecode(bucket)  # checked against the template's source
            if bucket.code is not None:
                self._code[bucket.key] = bucket.bytecode_to_string()

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()
        if self._disk:
            self._disk.dump_bytecode(bucket)


SHARED_BYTECODE = SharedBytecodeCache()


def component_globals(env: Environment) -> dict[str, Any]:
    return {
        name: getattr(
            env.get_template(f"govuk_frontend_jinja/components/{folder}/macro.html").module, name
        )
        for name, folder in COMPONENTS.items()
    }


class LazyModule:
    """``ui``: the theme's macros (partials/macros.html) as one global, made on first use.

    First use comes at render time, after every plugin has added its globals; a template
    module copies the globals when it is made. Importing it in each template instead costs
    a lookup on every render.
    """

    def __init__(self, env: Environment, template: str) -> None:
        self._env, self._template = env, template
        self._module: Any = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._module is None:
            self._module = self._env.get_template(self._template).module
        return getattr(self._module, name)


class Fragments:
    """``fragment(name, **values)``: a partial template rendered once per set of values
    and interface language.

    ``done`` is shared by every generator of one build (Pelican gives each its own Jinja
    environment, all configured alike, and one context).
    """

    def __init__(
        self, env: Environment, context: Mapping[str, Any], done: dict[Any, Markup]
    ) -> None:
        self._env, self._context, self._done = env, context, done

    def __call__(self, name: str, **values: Any) -> Markup:
        key = ("fragment", SPEAKING.get(), name, tuple(sorted(values.items())))
        if key not in self._done:
            html = self._env.get_template(name).render({**self._context, **values})
            self._done[key] = Markup(html)
        return self._done[key]


class EntryCache:
    """``listed(entry, heading_level, show_type)``: one item's list markup, rendered once per
    build whichever page lists it (``done`` is shared as for Fragments)."""

    def __init__(
        self, env: Environment, template: str, macro: str, done: dict[Any, Markup]
    ) -> None:
        self._env, self._template, self._macro, self._done = env, template, macro, done

    def __call__(self, entry: Any, heading_level: int = 3, show_type: bool = False) -> Markup:
        item = entry.item
        key = ("entry", SPEAKING.get(), item.kind, item.slug, item.lang, heading_level, show_type)
        if key not in self._done:
            macro = getattr(self._env.get_template(self._template).module, self._macro)
            self._done[key] = Markup(macro(entry, heading_level, show_type))
        return self._done[key]

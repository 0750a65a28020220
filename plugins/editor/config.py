"""The web editor's configuration (Decap CMS), generated from the content model itself, so
the editor can never offer a field or a value the validator would refuse."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from plugins.content_model.registry import ALL_TYPES
from plugins.content_model.schema import PAGES, SUMMARY_MAX, ContentType, Field

DATE_FORMAT = "YYYY-MM-DD HH:mm"  # what the content model reads as London time
WIDGETS = {
    "text": "string",
    "summary": "text",
    "slug": "string",
    "slug-ref": "string",
    "lang": "string",
    "polygon": "string",
    "changes": "string",
    "rounds": "string",
    "documents": "string",
    "url": "string",
    "document-or-link": "string",
    "contact": "string",
}


def field_config(spec: Field, ward_slugs: Iterable[str]) -> dict[str, Any]:
    config: dict[str, Any] = {"label": spec.name, "name": spec.name, "required": spec.required}
    if spec.help:
        config["hint"] = spec.help
    if spec.kind == "datetime":
        config.update(widget="datetime", format=DATE_FORMAT, picker_utc=False)
    elif spec.kind == "date":
        config.update(widget="datetime", format="YYYY-MM-DD", time_format=False, picker_utc=False)
    elif spec.kind in ("choice", "yes-no"):
        config.update(widget="select", options=list(spec.choices))
    elif spec.kind == "choices":
        config.update(widget="select", multiple=True, options=list(spec.choices))
    elif spec.kind == "wards":
        config.update(widget="select", multiple=True, options=["all", *ward_slugs])
    else:
        config["widget"] = WIDGETS[spec.kind]
    if spec.kind == "summary":
        config["pattern"] = [
            f"^[^<>]{{1,{SUMMARY_MAX}}}$",
            f"Plain text, at most {SUMMARY_MAX} characters",
        ]
    if spec.kind == "url":
        config["pattern"] = ["^https?://[^\\s<>\"'`]+$", "A web address starting https://"]
    if spec.kind in ("slug", "slug-ref"):
        config["pattern"] = [
            "^[a-z0-9]+(-[a-z0-9]+)*$",
            "Lower-case letters, digits and single hyphens",
        ]
    if spec.default is not None and spec.kind in ("choice", "yes-no", "choices"):
        config["default"] = spec.default if spec.kind != "choices" else [spec.default]
    return config


def collection(content_type: ContentType, ward_slugs: Iterable[str]) -> dict[str, Any]:
    slugs = list(ward_slugs)
    documents = (
        {
            # Files uploaded while editing an item of this type go to its documents folder.
            "media_folder": f"/content/{content_type.documents_folder}",
            "public_folder": f"/{content_type.documents_folder}",
        }
        if content_type.documents
        else {}
    )
    return {
        "name": content_type.folder,
        "label": content_type.label,
        "folder": f"content/{content_type.folder}",
        "create": True,
        "extension": "md",
        "format": "pelican-meta",
        "slug": "{{fields.Slug}}" if content_type is PAGES else "{{slug}}",
        **documents,
        "fields": [field_config(f, slugs) for f in content_type.fields]
        + [{"label": "Text", "name": "body", "widget": "markdown"}],
    }


def editor_config(ward_slugs: Iterable[str], backend: dict[str, Any]) -> dict[str, Any]:
    slugs = list(ward_slugs)
    first_documents = next(t.documents_folder for t in ALL_TYPES.values() if t.documents)
    return {
        "backend": backend,
        # Decap needs a site-wide folder too: the first type's with documents.
        "media_folder": f"content/{first_documents}",
        "public_folder": f"/{first_documents}",
        "collections": [collection(t, slugs) for t in ALL_TYPES.values()],
    }

"""The officers' guide documents the content model as the code enforces it."""

from __future__ import annotations

import pytest

from plugins.content_model.registry import ALL_TYPES, ITEM_TYPES
from plugins.content_model.schema import Field
from tests.sitebuilder import ROOT

GUIDE = (ROOT / "docs" / "officers.md").read_text(encoding="utf-8")
FIELDS = sorted({(f.name, f) for t in ALL_TYPES.values() for f in t.fields}, key=lambda p: p[0])


@pytest.mark.parametrize("field", [f for _, f in FIELDS], ids=[name for name, _ in FIELDS])
def test_every_field_and_value_is_in_the_officers_guide(field: Field) -> None:
    assert f"| {field.name} |" in GUIDE
    for choice in field.choices:
        assert f"`{choice}`" in GUIDE, f"{field.name}: {choice}"


def test_every_type_has_an_example_in_the_guide() -> None:
    for folder in ITEM_TYPES:
        required = [f.name for f in ALL_TYPES[folder].fields if f.required]
        section = GUIDE.split(f"(`content/{folder}/`)")[1]
        example = section.split("```markdown")[1].split("```")[0]
        assert all(f"\n{name}: " in "\n" + example for name in required), folder

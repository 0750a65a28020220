"""Names for the folders builds keep caches in, from what shapes their contents.

A cache reused after a setting that shapes its entries has changed gives stale pages
without a word: compiled templates depend on the Jinja environment's options
(``JINJA_ENVIRONMENT``: ``trim_blocks``, extensions), what Pelican read on the Markdown
and reader settings. Each cache therefore lives in a subfolder named by a hash of those
settings (and the library versions), so a change starts an empty one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from importlib.metadata import version
from typing import Any

# The settings Pelican's readers use (what a cached reading depends on).
READER_SETTINGS = (
    "MARKDOWN",
    "READERS",
    "TIMEZONE",
    "DEFAULT_LANG",
    "DEFAULT_DATE",
    "DEFAULT_DATE_FORMAT",
    "DATE_FORMATS",
    "DEFAULT_METADATA",
    "FORMATTED_FIELDS",
    "FILENAME_METADATA",
    "PATH_METADATA",
    "EXTRA_PATH_METADATA",
    "SLUGIFY_SOURCE",
    "SLUG_REGEX_SUBSTITUTIONS",
    "SUMMARY_MAX_LENGTH",
    "TYPOGRIFY",
    "TYPOGRIFY_IGNORE_TAGS",
)
TEMPLATE_SETTINGS = ("JINJA_ENVIRONMENT",)  # filters and globals are looked up by name


def settings_key(settings: Mapping[str, Any], names: Iterable[str], packages: Iterable[str]) -> str:
    """A short hash of the named settings' values and the packages' versions."""
    shaped = {name: settings.get(name) for name in names}
    shaped |= {f"version:{package}": version(package) for package in packages}
    text = json.dumps(shaped, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]

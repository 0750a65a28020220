"""Settings for publishing: the public address, absolute URLs."""

import os
import sys

sys.path.append(os.path.dirname(os.path.abspath(__file__)))

from pelicanconf import *  # noqa: F403

SITE_URL = os.environ.get("SITE_URL", "https://noticeboard.example.org").rstrip("/")
SITEURL = SITE_URL

"""Site configuration. Another council adopts the noticeboard by editing this file,
``data/wards.csv``, the logo and the content: nothing in theme/ or plugins/ names a council.
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

# --- The council -------------------------------------------------------------------------
COUNCIL_NAME = "Dover District Council"
SITENAME = "Dover District noticeboard"
# A short line under the header; leave empty for none.
PHASE_BANNER = "Example site: everything published here is made up."
COUNCIL_WEBSITE = "https://www.example.org/"
CONTACT_PHONE = "01632 960 000"
CONTACT_EMAIL = "noticeboard@example.org"
CONTACT_ADDRESS = "Council Offices, White Cliffs Business Park, Dover CT16 3PJ"
# Used for the header and links accents; must give 4.5:1 contrast with white text.
BRAND_COLOUR = "#00594f"
# An SVG or PNG in theme/static/images/ (or under content/ with STATIC_PATHS).
LOGO = "images/logo.svg"
LOGO_ALT = "Dover District Council"
WARDS_FILE = str(HERE / "data" / "wards.csv")
# The site's public address: used wherever a full URL is needed (CAP, feeds, emails).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# CAP 1.2 <sender>: an address for the originator, no spaces, commas, '<' or '&'.
CAP_SENDER = CONTACT_EMAIL
# ONS code of the local authority (used by the postcode importer).
LOCAL_AUTHORITY_CODE = "E07000108"
# Postcode -> ward lookup written by `make postcodes NSPL=FILE`; absent until imported.
POSTCODES_FILE = str(HERE / "data" / "postcodes.json")
# Bin collection rounds (docs/officers.md): each household's bin days. The example's are
# made up. Without the file, the site publishes bin changes only.
ROUNDS_FILE = str(HERE / "data" / "rounds.csv")
# Each ward's outline (make wards BOUNDARIES=FILE): alerts naming wards get CAP polygons.
WARD_OUTLINES_FILE = str(HERE / "data" / "ward-outlines.geojson")

# --- Where things are ----------------------------------------------------------------------
PATH = "content"
THEME = str(HERE / "theme")
PLUGIN_PATHS = [str(HERE)]
PLUGINS = [
    "plugins.content_model",
    "plugins.sanitise",
    "plugins.govuk_theme",
    "plugins.site_pages",
    "plugins.maps",
    "plugins.cap",
    "plugins.feeds",
    "plugins.calendars",
    "plugins.bin_days",
    "plugins.reach",
    "plugins.open_data",
    "plugins.sitemap",
    "plugins.postcodes",
    "plugins.search",
    "plugins.subscriptions",
    "plugins.editor",
]
# The web editor at /admin/ (Decap CMS, from npm, served by the site itself). The backend
# is how it commits: see https://decapcms.org/docs/backends-overview/ (git-gateway, github...).
DECAP_BACKEND = {"name": "git-gateway", "branch": "main"}
# Full-text search index (Pagefind) after each build.
SEARCH_INDEX = True
# The officers' reach dashboard at /reach/ (docs/officers.md): the JSON that
# `python -m subscriber_lambda report --json var/reach.json` writes. None: no dashboard.
# Unless REACH_PUBLIC, the page asks not to be indexed and is left out of the sitemap and
# the search index; protect /reach/ on the web server (docs/deploy.md).
REACH_FILE = None
REACH_PUBLIC = False
# Calendars hold changed days and deadlines from this many days ago onwards.
CALENDAR_PAST_DAYS = 365
# The notify manifest lists items published in the last this many days.
NOTIFY_WINDOW_DAYS = 14
SITEURL = ""
RELATIVE_URLS = False
TIMEZONE = "Europe/London"
DEFAULT_LANG = "en"
# Fixed "now" for reproducible builds and previews (ISO 8601); empty means the real time.
# The NOTICEBOARD_NOW environment variable does the same.
NOTICEBOARD_NOW = None

# --- Content -------------------------------------------------------------------------------
# Items are read from each content type's folder, and types' documents are copied as they
# are: the content model plugin sets ARTICLE_PATHS, ARTICLE_EXCLUDES and STATIC_PATHS from
# its registry (plugins/content_model/registry.py).
PAGE_PATHS = ["pages"]
STATIC_PATHS: list[str] = []  # files copied as they are, besides the types' documents
USE_FOLDER_AS_CATEGORY = True
# Only .md is read: every file Pelican reads has been through the content model first.
READERS = {"html": None, "htm": None, "rst": None}
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.sane_lists": {},
    },
    "output_format": "html5",
}
# Summary stays plain text (it goes into feeds, emails and banners as it is).
FORMATTED_FIELDS: list[str] = []
SUMMARY_MAX_LENGTH = 60

# --- URLs (contract: shared/design.md) -----------------------------------------------------
ARTICLE_URL = "{category}/{slug}/"
ARTICLE_SAVE_AS = "{category}/{slug}/index.html"
ARTICLE_LANG_URL = "{lang}/{category}/{slug}/"
ARTICLE_LANG_SAVE_AS = "{lang}/{category}/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
PAGE_LANG_URL = "{lang}/{slug}/"
PAGE_LANG_SAVE_AS = "{lang}/{slug}/index.html"
CATEGORY_URL = "{slug}/"
CATEGORY_SAVE_AS = "{slug}/index.html"
DRAFT_SAVE_AS = ""
DRAFT_LANG_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
TAG_SAVE_AS = ""
TAGS_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
DIRECT_TEMPLATES = ["index", "404", "search"]
SEARCH_SAVE_AS = "search/index.html"
PAGINATED_TEMPLATES = {"category": 20, "ward": 50, "archive_year": 50}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
)
# Feeds are written by the feeds plugin (feedgen); Pelican's own are off.
FEED_MAX_ITEMS = 50
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# --- Templates -----------------------------------------------------------------------------
JINJA_ENVIRONMENT = {
    "extensions": ["jinja2.ext.i18n", "jinja2.ext.do"],
    "autoescape": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    # Templates do not change during a build: skip Jinja's check of every file's time.
    "auto_reload": False,
}
# Compiled templates, kept for the next build (each checked against its template's text).
TEMPLATE_CACHE_PATH = str(HERE / "var" / "cache" / "templates")
# Interface language (gettext catalogue in theme/translations/); content has its own Lang.
INTERFACE_LANG = "en"
# How many of each type's items (the newest notices, coming meetings...) the home page lists.
HOME_CURRENT_ITEMS = 5

# Safe: the output folder is cleared only after every content file has passed the checks.
DELETE_OUTPUT_DIRECTORY = True
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False

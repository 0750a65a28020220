# The council noticeboard. On a fresh machine only two commands are needed:
#   make run    set up, build the example site, serve it at http://127.0.0.1:8000/
#   make test   set up, then run every check and test
# Every other target sets up what it needs too.

PYTHON     ?= python3
VENV       := .venv
PY         := $(VENV)/bin/python
OUTPUT     ?= output
CONTENT    ?= content
HOST       ?= 127.0.0.1
PORT       ?= 8000
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CSS        := theme/static/build/noticeboard.css
SASS_SRC   := $(wildcard theme/sass/*.scss)
PO_FILES   := $(wildcard theme/translations/*/LC_MESSAGES/messages.po)

.PHONY: run test html rebuild postcodes wards validate notify digest reminders feedback report restore lambda publish new preview serve lint typecheck extract-messages \
        bench clean setup system-packages browser-deps

# Links in pages, feeds, calendars and emails point at SITE_URL. Unless it is given, that
# is the address `make run` serves at, which it notes in var/site-url, so that `make html`,
# `make rebuild` and `make reminders` while it runs (on PORT=8131, say) keep its address.
ifeq ($(origin SITE_URL),undefined)
SITE_URL := $(or $(shell cat var/site-url 2>/dev/null),http://127.0.0.1:8000)
RUN_URL  := http://$(HOST):$(PORT)
else
RUN_URL  := $(SITE_URL)
endif
export SITE_URL

# The site and the subscription routes on one port, with a mail catcher: every email the
# backend sends is written to var/outbox/ (open the .eml files to see what residents get).
run: SITE_URL = $(RUN_URL)
run: html
	@mkdir -p var && echo "$(SITE_URL)" > var/site-url
	$(PY) -m subscriber_lambda serve --host $(HOST) --port $(PORT) --site-dir $(OUTPUT) \
	  --capture-mail 127.0.0.1:8025

setup: $(PY_STAMP) $(NODE_STAMP) $(CSS)

$(PY_STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ is needed: install python3 and python3-venv"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nodejs npm; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The theme's CSS: GOV.UK Frontend compiled with the council's brand from pelicanconf.py.
$(CSS): $(SASS_SRC) pelicanconf.py noticeboard/build_css.py $(NODE_STAMP) $(PY_STAMP)
	$(PY) -m noticeboard.build_css --settings pelicanconf.py

html: setup
	$(PY) -m pelican $(CONTENT) -s pelicanconf.py -o $(OUTPUT) --fatal errors

# For a schedule (cron, systemd timer, CI): future items appear, expired alerts leave the
# banner; only files that differ are replaced, and nothing changes when nothing is due.
rebuild: setup
	$(PY) -m noticeboard.rebuild --settings pelicanconf.py --content $(CONTENT) --output $(OUTPUT)

# Import the ONS postcode directory (NSPL or ONSPD CSV, unzipped): make postcodes NSPL=path.csv
postcodes: $(PY_STAMP)
	@test -n "$(NSPL)" || { echo "Give the file: make postcodes NSPL=path/to/NSPL.csv"; exit 2; }
	$(PY) -m noticeboard.import_postcodes "$(NSPL)" --settings pelicanconf.py $(if $(WARD_NAMES),--ward-names "$(WARD_NAMES)")

# Import the ONS ward boundaries: ward codes into the wards file, outlines for CAP polygons.
wards: $(PY_STAMP)
	@test -n "$(BOUNDARIES)" || { echo "Give the file: make wards BOUNDARIES=path/to/Wards.geojson"; exit 2; }
	$(PY) -m noticeboard.import_wards "$(BOUNDARIES)" --settings pelicanconf.py

# Start a new item: make new TYPE=notice TITLE="..." (asks for what is missing at a terminal)
new: $(PY_STAMP)
	$(VENV)/bin/noticeboard-new $(or $(TYPE),notice) $(if $(TITLE),--title "$(TITLE)")

# Build and serve while writing (http://127.0.0.1:8000/): every save is checked and built
# again, and the open page reloads itself.
preview: setup
	$(VENV)/bin/noticeboard-preview --bind $(HOST) --port $(PORT) --content $(CONTENT) --output $(OUTPUT)

validate: $(PY_STAMP)
	$(VENV)/bin/noticeboard-validate $(CONTENT)
	@# Which translations matter most: from the last build and the subscribers, if any.
	@if [ -f $(OUTPUT)/api/v1/notify.json ]; then $(PY) -m subscriber_lambda demand $(OUTPUT)/api/v1/notify.json; fi

serve: run

# Email new items to subscribers (SUBSCRIBER_* settings from the environment).
notify: $(PY_STAMP)
	$(PY) -m subscriber_lambda notify $(OUTPUT)/api/v1/notify.json

# Daily or weekly summaries: make digest FREQUENCY=weekly (from a schedule).
digest: $(PY_STAMP)
	$(PY) -m subscriber_lambda digest --frequency $(or $(FREQUENCY),daily) --site-dir $(OUTPUT)

# Bin-day reminders for tomorrow's collections: from a schedule at 18:00 London time
# (make reminders ON=2026-12-25 for the collections of the 26th).
reminders: $(PY_STAMP)
	$(PY) -m subscriber_lambda reminders --site-dir $(OUTPUT) $(if $(ON),--on $(ON))

# Reach figures (docs/reach.md): tables, and CSV and JSON in var/reach/
# (make report SINCE=2026-11-01).
report: $(PY_STAMP)
	$(PY) -m subscriber_lambda report --site-dir $(OUTPUT) --csv var/reach \
	  --json var/reach/reach.json $(if $(SINCE),--since $(SINCE))

# Complaints and bounces mailed back (docs/deploy.md): make feedback REPORTS=/srv/Maildir
# (report files or a Maildir; a mail alias pipes messages to the command itself).
feedback: $(PY_STAMP)
	$(if $(REPORTS),,$(error give REPORTS=FILE_OR_MAILDIR))
	$(PY) -m subscriber_lambda feedback $(REPORTS)

# Rebuild the embedded store (and the signing key) from SUBSCRIBER_REPLICA, after the
# server or its disk was lost: make restore (FORCE=1 replaces a store that is there).
restore: $(PY_STAMP)
	$(PY) -m subscriber_lambda restore $(if $(FORCE),--force)

# Interface text: extract from templates into the template catalogue, merge into each language.
extract-messages: $(PY_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ -k gettext -k ngettext:1,2 \
	  --project "Council noticeboard" -o theme/translations/messages.pot theme/templates plugins
	$(VENV)/bin/pybabel update --ignore-obsolete -i theme/translations/messages.pot -d theme/translations
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -k N_ -k gettext -k ngettext:1,2 \
	  --project "Council noticeboard subscriptions" \
	  -o subscriber_lambda/translations/subscriptions.pot subscriber_lambda
	$(VENV)/bin/pybabel update --ignore-obsolete -D subscriptions \
	  -i subscriber_lambda/translations/subscriptions.pot -d subscriber_lambda/translations


# Debian packages the tests drive: Chromium (browser tests), Java (the Nu HTML Checker)
# and systemd (systemd-analyze checks the units in deploy/systemd/).
system-packages:
	@if ! command -v chromium >/dev/null || ! command -v java >/dev/null \
	    || ! command -v systemd-analyze >/dev/null; then \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium default-jre-headless systemd >/dev/null; \
	fi

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(PY_STAMP)
	$(VENV)/bin/mypy

test: setup system-packages lint typecheck
	$(PY) -m pytest -n auto -q || { rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc; }

# Build with publishconf.py, check, upload to S3 (PUBLISH_BUCKET; DRY_RUN=1 to see the plan).
publish: setup
	$(PY) -m noticeboard.publish --settings publishconf.py --content $(CONTENT)

# The Lambda bundle template.yaml points at: the backend package and its requirements.
lambda:
	rm -rf build/lambda && mkdir -p build/lambda
	cp -r subscriber_lambda build/lambda/
	find build/lambda -name __pycache__ -prune -exec rm -rf {} +
	cp deploy/lambda-requirements.txt build/lambda/requirements.txt

# The build against stock Pelican (1,000 and 2,000 items), then the time to alert: an
# officer's alert to the live page and the first and last emails (1,000 items and 2,000
# subscribers; FULL=1: 5,000 items and 100,000 subscribers, 5,000 of them on the AWS path),
# then the replica's lag under 100 sign-ups a second and a restore's time.
bench: html system-packages
	$(PY) bench/build_bench.py --items 1000 2000
	$(PY) bench/alert_latency.py $(if $(FULL),--items 5000 --subscribers 100000 --aws-subscribers 5000)
	$(PY) bench/replication_lag.py --rate 100 --seconds 30

clean:
	rm -rf $(OUTPUT) theme/static/build var .pytest_cache .mypy_cache .ruff_cache

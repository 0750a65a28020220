"""The commands officers and the council's IT team run (``make validate``, ``make new``,
``make preview``, ``make publish``, ``make rebuild``, ``make postcodes`` and the theme's
build): not Pelican plugins, so they live here, each named for what it does."""

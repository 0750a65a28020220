"""Local Pelican plugins of the council noticeboard, one package per concern."""

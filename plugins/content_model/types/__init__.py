"""One module per type of content; ``registry.py`` lists them."""

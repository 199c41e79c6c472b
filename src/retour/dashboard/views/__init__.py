"""The dashboard's pages, one module per area; `urls.py` maps them."""

"""The local web dashboard of netvet (``netvet serve``): FastAPI over the history database."""

"""Build glue for netvet's optional C speed-up (the MRT reader's hot loop); all metadata is in pyproject.toml.

``optional=True``: when no C compiler or Python headers are at hand the install still succeeds and netvet
uses its pure-Python MRT parser (``netvet.readers.mrt_fast.HAVE_C`` says which one is in use).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("netvet.readers._mrtfast", ["src/netvet/readers/_mrtfast.c"], optional=True),
    ]
)

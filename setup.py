"""Build glue for netvet's optional C speed-ups (the MRT reader's hot loop, the flow records' per-record pass);
all metadata is in pyproject.toml.

``optional=True``: when no C compiler or Python headers are at hand the install still succeeds and netvet
uses its pure-Python MRT parser and its NumPy flow engine (``netvet.readers.mrt_fast.HAVE_C`` and
``netvet.flows.kernel.HAVE_C`` say which ones are in use).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("netvet.readers._mrtfast", ["src/netvet/readers/_mrtfast.c"], optional=True),
        Extension("netvet.flows._flowagg", ["src/netvet/flows/_flowagg.c"], optional=True,
                  extra_compile_args=["-O3"]),
    ]
)

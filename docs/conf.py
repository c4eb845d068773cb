"""Sphinx configuration of the astromlp documentation.

Build (offline, warnings are errors):  python -m sphinx -W --keep-going -b html docs docs/_build/html
The configuration and command-line references are generated at build time from the code itself
(_ext/astromlp_docs.py), so they cannot drift from it.
"""

import sys
from importlib.metadata import version as _version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "astromlp"
author = "the astromlp developers"
copyright = "the astromlp developers"  # noqa: A001  (Sphinx's name)
release = _version("astromlp")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
    "astromlp_docs",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections say the types
autoclass_content = "both"  # the class docstring (the estimators' parameters), then any __init__ docstring
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_static_path = ["_static"]
html_theme_options = {"description": "survey catalogs in, trained networks and honest reports out",
                      "page_width": "1180px", "sidebar_width": "240px"}

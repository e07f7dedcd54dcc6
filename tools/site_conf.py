"""Sphinx configuration of the course website (copied as conf.py by tools/build_site.py).

Jupyter Book 1's stack, used directly: Sphinx, MyST-NB (notebooks with their stored
outputs, never executed here) and the Sphinx Book Theme. Everything a page loads comes
from the site's own _static/: MathJax is a local copy (see tools/offline_assets.py).
"""

project = "gradcourse"
author = "the gradcourse authors"
copyright = "the gradcourse authors, MIT licence"

# githubpages writes .nojekyll: GitHub Pages would otherwise hide _static/ and _images/.
extensions = ["myst_nb", "sphinx.ext.githubpages"]
exclude_patterns = ["_build"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}

# The notebooks are shown as they were built by `make notebooks`, outputs included.
nb_execution_mode = "off"
nb_output_stderr = "remove"  # none is stored (tested); just in case
myst_enable_extensions = ["dollarmath", "amsmath", "html_image"]
myst_heading_anchors = 3
# The README's badges and links to other files in the repository are plain links.
suppress_warnings = ["myst.header"]

# MathJax 3 from _static/mathjax (a path relative to _static), not from a CDN.
mathjax_path = "mathjax/tex-chtml-full.js"

html_theme = "sphinx_book_theme"
html_title = "gradcourse"
html_static_path = ["_static"]
html_last_updated_fmt = ""
html_theme_options = {
    "repository_url": "https://github.com/gradcourse/gradcourse",
    "repository_branch": "main",
    "path_to_docs": "",
    "use_repository_button": True,
    "use_download_button": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    # Colab and Binder buttons would point at the staged copies: the badge in each
    # notebook already opens it in Colab.
    "launch_buttons": {},
}
html_show_sourcelink = False
# Light by default: the figures are drawn on white. (Without it the theme's script logs
# "Got invalid theme mode" in the console on a first visit.)
html_context = {"default_mode": "light"}

"""Alternative text for every figure: what a screen reader says instead of the picture.

A figure's alt text is written from what the figure already states: its title, each
panel's title, axis labels and scales, the names in its legend, and what it draws
(curves, an image, bars) when nothing names them. `setup_notebook` installs it in the
kernel, so each figure's output carries ``{"alt": ...}`` in its metadata; the website
and the slide decks (tools/offline_assets.py) write it into the ``<img>`` tag.
Where a sentence says more than the labels can, give it with `set_alt_text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure

MAX_NAMES = 8  # legend entries named in full; the rest are counted
_EXPLICIT = "_gradcourse_alt_text"


def set_alt_text(figure: Figure, text: str) -> None:
    """Use ``text`` as the alternative text of ``figure`` instead of the generated one."""
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure, got {type(figure).__name__}")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string describing the figure")
    setattr(figure, _EXPLICIT, text.strip())


def describe_figure(figure: Figure) -> str:
    """One or a few sentences that say what ``figure`` shows, from its titles and axes."""
    if not isinstance(figure, Figure):
        raise TypeError(f"figure must be a matplotlib Figure, got {type(figure).__name__}")
    explicit = getattr(figure, _EXPLICIT, None)
    if explicit:
        return explicit
    panels = [ax for ax in figure.get_axes() if ax.get_visible() and not _is_colorbar(ax)]
    scales = [_text(ax.get_ylabel()) for ax in figure.get_axes() if _is_colorbar(ax)]
    title = _text(figure.get_suptitle()) if hasattr(figure, "get_suptitle") else ""
    count = f"{len(panels)} panels" if len(panels) != 1 else "one panel"
    head = f"Figure with {count}" + (f": {title}." if title else ".")
    parts = [head]
    for index, ax in enumerate(panels, start=1):
        label = f"Panel {index}" if len(panels) > 1 else "The panel"
        parts.append(f"{label}{_describe_axes(ax)}.")
    parts += [f"Colour scale: {scale}." for scale in scales if scale]
    return " ".join(parts)


def _describe_axes(ax: Axes) -> str:
    titles = [_text(ax.get_title(loc)) for loc in ("left", "center", "right")]
    title = "; ".join(t for t in titles if t)
    words = []
    drawn = _what_is_drawn(ax)
    if drawn:
        words.append(f"shows {drawn}")
    axes = [
        _axis("x", ax.get_xlabel(), ax.get_xscale()),
        _axis("y", ax.get_ylabel(), ax.get_yscale()),
    ]
    if any(axes):
        words.append(" and ".join(a for a in axes if a))
    names = _legend_names(ax)
    if names:
        more = len(names) - MAX_NAMES
        words.append(
            "legend: " + ", ".join(names[:MAX_NAMES]) + (f" and {more} more" if more > 0 else "")
        )
    return (f' "{title}"' if title else "") + " " + ("; ".join(words) or "is empty")


def _what_is_drawn(ax: Axes) -> str:
    things = []
    curves = [line for line in ax.get_lines() if len(line.get_xdata()) > 2]
    if curves:
        things.append(f"{len(curves)} curve" + ("s" if len(curves) > 1 else ""))
    if ax.images:
        things.append("an image" if len(ax.images) == 1 else f"{len(ax.images)} images")
    bars = [p for p in ax.patches if type(p).__name__ == "Rectangle"]
    if bars:
        things.append(f"{len(bars)} bar" + ("s" if len(bars) > 1 else ""))
    if ax.collections:
        things.append("points or shaded areas")
    return ", ".join(things)


def _axis(name: str, label: str, scale: str) -> str:
    label = _text(label)
    if not label:
        return ""
    return f'{name} axis "{label}"' + (f" ({scale} scale)" if scale != "linear" else "")


def _legend_names(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    if legend is None:
        return []
    return [name for name in (_text(t.get_text()) for t in legend.get_texts()) if name]


def _is_colorbar(ax: Axes) -> bool:
    return hasattr(ax, "_colorbar")


# TeX commands of the course's labels, as a screen reader should say them.
_TEX_WORDS = {
    "partial": "∂",
    "|": "‖",
    "nabla": "∇",
    "sqrt": "√",
    "lambda": "λ",
    "eta": "η",
    "tau": "τ",
    "chi": "χ",
    "sigma": "σ",
    "gamma": "γ",
    "rho": "ρ",
    "mu": "μ",
    "alpha": "α",
    "beta": "β",
    "nu": "ν",
    "theta": "θ",
    "xi": "ξ",
    "ell": "ℓ",
    "times": "×",
    "cdot": "·",
    "le": "≤",
    "ge": "≥",
    "approx": "≈",
    "to": "→",
}
_TEX_DROPPED = r"mathrm|mathbf|mathit|rm|bf|text|operatorname|left|right|bar|hat|tilde|displaystyle"


def _text(value: Any) -> str:
    """Plain words from a label: TeX commands spelled out, fractions written a/b."""
    text = re.sub(rf"\\({_TEX_DROPPED})\b", "", str(value or ""))
    text = re.sub(r"\\[dt]?frac\s*(\{[^{}]*\}|\w)\s*(\{[^{}]*\}|\w)", r"\1/\2", text)
    text = re.sub(
        r"\\([A-Za-z]+|\|)", lambda m: _TEX_WORDS.get(m.group(1), f" {m.group(1)} "), text
    )
    text = re.sub(r"\\[,;:!]", " ", text)  # TeX's spaces
    text = re.sub(r"([_^])\{([^{}]*)\}", r"\1(\2)", text)  # h_{t-1} -> h_(t-1)
    text = re.sub(r"[${}]", "", text)
    text = re.sub(r"([_^(])\s+", r"\1", text)  # "log _(10)" -> "log_(10)"
    return " ".join(text.split()).replace(" _", "_").replace(" ^", "^")


def install_alt_text() -> bool:
    """Make each figure the kernel displays carry its alt text; False outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    _configure_inline_backend()
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        png = formatter.lookup_by_type(Figure)
    except KeyError:
        return False  # this front end does not draw figures as PNG
    if getattr(png, "adds_alt_text", False):
        return True
    formatter.for_type(Figure, _with_alt_text(png))
    return True


def _configure_inline_backend() -> None:
    """Import the inline backend now: importing it registers its formatters, which must
    be in place before they are wrapped (pyplot would import it at the first figure)."""
    import matplotlib

    if "inline" in str(matplotlib.get_backend()):
        import matplotlib_inline.backend_inline  # noqa: F401


def _with_alt_text(png: Callable[..., Any]) -> Callable[..., Any]:
    def figure_png(figure: Figure, *args: Any, **kwargs: Any) -> Any:
        data = png(figure, *args, **kwargs)
        if data is None:
            return None
        data, metadata = data if isinstance(data, tuple) else (data, {})
        return data, {**(metadata or {}), "alt": describe_figure(figure)}

    figure_png.adds_alt_text = True
    return figure_png

"""A widget tree as static HTML: what the widget shows at this moment, for readers without a kernel.

Why: an ipywidgets view is drawn by the browser from widget state held by a live kernel.
A notebook rendered to HTML (``python3 dev.py site``, nbconvert, a code host's notebook
viewer) has no kernel, so the view would be missing. Every tdxlab widget already draws its
views as plain HTML strings and PNG bytes held in ``widgets.HTML`` and ``widgets.Image``
values, so a faithful snapshot is the tree itself walked once: boxes become flex rows and
columns, HTML values are copied as they are, images become inline ``data:`` URIs, an
accordion becomes a ``<details>`` (open where the accordion is open), and controls become
disabled form elements showing their current value. Nothing is recomputed, so the snapshot is
exactly the view the widget shows, and it costs one string join.

:func:`with_snapshot` makes a widget carry the snapshot as ``text/html`` beside its
``application/vnd.jupyter.widget-view+json`` view. JupyterLab prefers the widget view (and
never shows the snapshot); static renderers fall back to the snapshot when the notebook
holds no widget state. ipywidgets is only imported when a snapshot is taken, by which time
the widget exists.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from tdxlab import describe

#: The MIME type of an ipywidgets view in a notebook output.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: The class of the snapshot's outer ``<div>`` (tests and the site's CSS find it by this).
SNAPSHOT_CLASS = "tdxlab-snapshot"
#: Shown above every snapshot, so nobody clicks a disabled button and wonders.
SNAPSHOT_NOTE = describe.SNAPSHOT_NOTE
#: What a collapsed part that the widget draws only when opened shows in the snapshot.
EMPTY_PART = describe.SNAPSHOT_EMPTY_PART

_ROW = "display: flex; flex-flow: row wrap; align-items: center; gap: 4px;"
_COLUMN = "display: flex; flex-direction: column; gap: 4px;"
_LABEL = "margin-right: 4px;"
_NOTE = "font-style: italic; color: #555;"
_READOUT = ' style="margin-right: 8px;"'


def with_snapshot(widget: Any) -> Any:
    """Make ``widget``'s notebook display carry :func:`snapshot_html` as ``text/html``; returns it.

    The widget's own ``_repr_mimebundle_`` (the widget view and its ``text/plain``) is kept
    and the snapshot is added beside it, taken at display time. Calling this twice is harmless.
    """
    if getattr(widget, "_tdxlab_snapshot", False):
        return widget
    plain = widget._repr_mimebundle_

    def bundle(**kwargs: Any) -> Any:
        data = plain(**kwargs)
        include, exclude = kwargs.get("include"), kwargs.get("exclude")
        wanted = (include is None or "text/html" in include) and not (exclude and "text/html" in exclude)
        if isinstance(data, dict) and wanted:
            try:
                html = snapshot_html(widget)
            except Exception as exc:  # a broken snapshot must not take the live widget view with it
                html = (f'<div class="{SNAPSHOT_CLASS}-error">no static snapshot: '
                        f"{escape(type(exc).__name__)}: {escape(str(exc))}</div>")
            data = {**data, "text/html": html}
        return data

    widget._repr_mimebundle_ = bundle
    widget._tdxlab_snapshot = True
    return widget


def snapshot_html(widget: Any) -> str:
    """The whole tree under ``widget`` as one self-contained HTML fragment (no scripts, no URLs)."""
    note = f'<div class="{SNAPSHOT_CLASS}-note" style="{_NOTE}">{escape(SNAPSHOT_NOTE)}</div>'
    return f'<div class="{SNAPSHOT_CLASS}" style="{_COLUMN}">{note}{_render(widget)}</div>'


# --------------------------------------------------------------------------- one widget each


def _render(widget: Any) -> str:
    """One widget (and its children) as HTML; hidden widgets and non-visual objects give ``""``."""
    layout = getattr(widget, "layout", None)
    if layout is not None and (getattr(layout, "display", None) == "none"
                               or getattr(layout, "visibility", None) == "hidden"):
        return ""
    for kind, render in _renderers():
        if isinstance(widget, kind):
            return render(widget)
    return ""


def _renderers() -> list[tuple[type, Callable[[Any], str]]]:
    """(ipywidgets class, renderer) pairs, most specific first (an Accordion is also a Box)."""
    import ipywidgets as w

    return [
        (w.Accordion, _accordion),
        (w.Tab, _accordion),
        (w.Stack, _stack),
        (w.HBox, lambda x: _box(x, _ROW)),
        (w.Box, lambda x: _box(x, _COLUMN)),
        (w.HTML, lambda x: _wrap(x, str(x.value))),
        (w.HTMLMath, lambda x: _wrap(x, str(x.value))),
        (w.Label, lambda x: _wrap(x, escape(str(x.value)))),
        (w.Image, _image),
        (w.Button, _button),
        (w.ToggleButtons, _toggle_buttons),
        (w.SelectMultiple, lambda x: _select(x, set(x.index), multiple=True)),
        (w.SelectionSlider, lambda x: _labelled(x, f"<b>{escape(str(x.label))}</b>")),
        (w.SelectionRangeSlider, lambda x: _labelled(x, escape(" – ".join(map(str, x.label))))),
        (w.Dropdown, lambda x: _select(x, {x.index})),
        (w.Select, lambda x: _select(x, {x.index})),
        (w.RadioButtons, lambda x: _select(x, {x.index})),
        (w.Play, _play),
        (w.FloatLogSlider, _log_slider),
        (w.IntSlider, _slider),
        (w.FloatSlider, _slider),
        (w.Text, _text),
        (w.Textarea, _textarea),
        (w.Checkbox, _checkbox),
        (w.ToggleButton, _toggle_button),
        (w.Output, _output),
        (w.ValueWidget, lambda x: _labelled(x, escape(str(x.value)))),
    ]


def _classes(widget: Any, extra: str = "") -> str:
    names = [*getattr(widget, "_dom_classes", ()), *([extra] if extra else [])]
    return f' class="{escape(" ".join(names))}"' if names else ""


def _wrap(widget: Any, inner: str) -> str:
    if getattr(widget, "description", ""):
        return _labelled(widget, inner)
    return f"<div{_classes(widget)}>{inner}</div>"


def _labelled(widget: Any, inner: str) -> str:
    """``inner`` after the widget's description, on one line (what ipywidgets draws)."""
    description = str(getattr(widget, "description", "") or "")
    label = f'<span style="{_LABEL}">{escape(description)}</span>' if description else ""
    tip = _title(getattr(widget, "tooltip", None))
    return f'<div{_classes(widget)} style="{_ROW}"{tip}>{label}{inner}</div>'


def _title(text: object) -> str:
    return f' title="{escape(str(text))}"' if text else ""


def _children(widget: Any) -> Iterable[str]:
    return (_render(child) for child in getattr(widget, "children", ()))


def _box(widget: Any, style: str) -> str:
    return f'<div{_classes(widget)} style="{style}">{"".join(_children(widget))}</div>'


def _accordion(widget: Any) -> str:
    """Each child in a ``<details>``: open where the accordion (or tab) is open, collapsed elsewhere."""
    titles = tuple(getattr(widget, "titles", ()) or ())
    parts = []
    for i, inner in enumerate(_children(widget)):
        title = titles[i] if i < len(titles) and titles[i] else f"Part {i + 1}"
        is_open = " open" if widget.selected_index == i else ""
        if not re.sub(r"<[^>]*>|\s", "", inner):  # a lazy view (drawn only when opened) is empty here
            inner = f'<div style="{_NOTE}">{escape(EMPTY_PART)}</div>'
        parts.append(f"<details{is_open}><summary>{escape(str(title))}</summary>{inner}</details>")
    return f'<div{_classes(widget)} style="{_COLUMN}">{"".join(parts)}</div>'


def _stack(widget: Any) -> str:
    children = list(getattr(widget, "children", ()))
    index = widget.selected_index
    shown = _render(children[index]) if index is not None and 0 <= index < len(children) else ""
    return f"<div{_classes(widget)}>{shown}</div>"


def _image(widget: Any) -> str:
    data = bytes(widget.value)
    if not data:
        return ""
    fmt = str(widget.format or "png")
    mime = fmt if "/" in fmt else f"image/{'svg+xml' if fmt == 'svg' else fmt}"
    size = "".join(f' {name}="{escape(str(value))}"' for name in ("width", "height")
                   if (value := getattr(widget, name, "")))
    src = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    return f'<img{_classes(widget)} src="{src}"{size} alt="figure" />'


def _button(widget: Any) -> str:
    style = "font-weight: 600;" if widget.button_style == "primary" else ""
    return (f'<button{_classes(widget)} type="button" disabled style="{style}"{_title(widget.tooltip)}>'
            f"{escape(str(widget.description))}</button>")


def _toggle_buttons(widget: Any) -> str:
    tips = tuple(widget.tooltips or ())
    buttons = []
    for i, label in enumerate(widget._options_labels):
        chosen = i == widget.index
        style = "font-weight: 600; background: #cfe3f7;" if chosen else ""
        tip = _title(tips[i] if i < len(tips) else "")
        buttons.append(f'<button type="button" disabled aria-pressed="{str(chosen).lower()}" '
                       f'style="{style}"{tip}>{escape(str(label))}</button>')
    return _labelled(widget, "".join(buttons))


def _select(widget: Any, chosen: set[int | None], multiple: bool = False) -> str:
    options = "".join(
        f"<option{' selected' if i in chosen else ''}>{escape(str(label))}</option>"
        for i, label in enumerate(widget._options_labels))
    rows = min(len(widget._options_labels), int(getattr(widget, "rows", 5) or 5))
    extra = f' multiple size="{rows}"' if multiple else ""
    return _labelled(widget, f"<select disabled{extra}>{options}</select>")


def _readout(widget: Any, value: float) -> str:
    try:
        return format(value, str(widget.readout_format))
    except (ValueError, TypeError):
        return str(value)


def _range(low: float, high: float, step: float | str, value: float) -> str:
    return f'<input type="range" disabled min="{low}" max="{high}" step="{step}" value="{value}" />'


def _slider(widget: Any) -> str:
    bar = _range(widget.min, widget.max, widget.step or "any", widget.value)
    return _labelled(widget, f"{bar}<span{_READOUT}>{escape(_readout(widget, widget.value))}</span>")


def _log_slider(widget: Any) -> str:
    exponent = math.log(widget.value, widget.base) if widget.value > 0 else widget.min
    bar = _range(widget.min, widget.max, widget.step or "any", exponent)
    return _labelled(widget, f"{bar}<span{_READOUT}>{escape(_readout(widget, widget.value))}</span>")


def _play(widget: Any) -> str:
    return _labelled(widget, '<button type="button" disabled title="play">&#9654;</button>')


def _text(widget: Any) -> str:
    placeholder = f' placeholder="{escape(str(widget.placeholder))}"' if widget.placeholder else ""
    value = escape(str(widget.value))
    return _labelled(widget, f'<input type="text" disabled value="{value}"{placeholder} />')


def _textarea(widget: Any) -> str:
    return _labelled(widget, f"<textarea disabled>{escape(str(widget.value))}</textarea>")


def _checkbox(widget: Any) -> str:
    checked = " checked" if widget.value else ""
    return _labelled(widget, f'<input type="checkbox" disabled{checked} />')


def _toggle_button(widget: Any) -> str:
    pressed = str(bool(widget.value)).lower()
    return (f'<button{_classes(widget)} type="button" disabled aria-pressed="{pressed}"'
            f"{_title(widget.tooltip)}>{escape(str(widget.description))}</button>")


def _output(widget: Any) -> str:
    """An ``Output`` widget's captured outputs: HTML, PNG or text, the richest each has."""
    parts = []
    for out in widget.outputs:
        stream = out.get("output_type") == "stream"
        data = {"text/plain": out.get("text", "")} if stream else out.get("data", {})
        if "text/html" in data:
            parts.append(str(data["text/html"]))
        elif "image/png" in data:
            parts.append(f'<img src="data:image/png;base64,{data["image/png"]}" alt="figure" />')
        elif "text/plain" in data:
            parts.append(f"<pre>{escape(str(data['text/plain']))}</pre>")
    return f"<div{_classes(widget)}>{''.join(parts)}</div>"


__all__ = ["EMPTY_PART", "SNAPSHOT_CLASS", "SNAPSHOT_NOTE", "WIDGET_VIEW", "snapshot_html", "with_snapshot"]

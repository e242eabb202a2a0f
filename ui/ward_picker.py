"""A map of an area's wards that a tap (or Enter on a focused ward) picks a ward from.

A Streamlit custom component (``st.components.v2``): a few lines of JavaScript in the page itself,
no iframe and no chart library, so a tablet's first view loads nothing beyond Streamlit. The shapes
come from ``hotspots.ward_summary_charts.ward_shapes``. Ward names come from boundary files, so
the script sets them as text (``setAttribute``, ``textContent``), never as HTML.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

_CSS = """
svg { display: block; width: 100%; height: auto; touch-action: manipulation; }
path { fill: #d1d5db; stroke: #ffffff; stroke-width: 3; fill-rule: evenodd; cursor: pointer; outline: none; }
path.chosen { fill: #b2182b; }
path:focus-visible { stroke: #111827; stroke-width: 6; }
"""

_JS = """
const SVG = "http://www.w3.org/2000/svg";
export default function ({ data, parentElement, setTriggerValue }) {
  // A holder of our own: the parent also holds the style sheet Streamlit put there.
  let holder = parentElement.querySelector("div.ward-picker");
  if (!holder) {
    holder = document.createElement("div");
    holder.className = "ward-picker";
    parentElement.appendChild(holder);
  }
  const map = document.createElementNS(SVG, "svg");
  map.setAttribute("viewBox", `0 0 ${data.width} ${data.height}`);
  map.setAttribute("role", "group");
  map.setAttribute("aria-label", data.label);
  for (const ward of data.wards) {
    const shape = document.createElementNS(SVG, "path");
    shape.setAttribute("d", ward.d);
    shape.setAttribute("role", "button");
    shape.setAttribute("tabindex", "0");
    shape.setAttribute("aria-label", ward.name);
    shape.setAttribute("aria-pressed", ward.chosen ? "true" : "false");
    shape.setAttribute("data-ward", ward.code);
    if (ward.chosen) shape.classList.add("chosen");
    const name = document.createElementNS(SVG, "title");
    name.textContent = ward.name;
    shape.appendChild(name);
    const pick = () => { if (!ward.chosen) setTriggerValue("ward", ward.code); };
    shape.addEventListener("click", pick);
    shape.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(); }
    });
    map.appendChild(shape);
  }
  holder.replaceChildren(map);
}
"""

_component = st.components.v2.component("hotspots.ward_picker", css=_CSS, js=_JS)


def ward_picker(shapes: dict, *, label: str, key: str, on_pick: Callable[[], None]) -> None:
    """Draw ``shapes`` (``ward_shapes``'s dict) labelled ``label`` for screen readers. After a tap,
    ``on_pick`` runs before the page's next run, and :func:`picked_ward` gives the ward."""
    _component(data={**shapes, "label": label}, key=key, on_ward_change=on_pick)


def picked_ward(key: str) -> str | None:
    """The code of the ward just tapped on the picker mounted with ``key`` (None if none was)."""
    return (st.session_state.get(key) or {}).get("ward")

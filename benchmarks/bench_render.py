"""Drawing speed: a 4 KiB byte grid as a matplotlib image and as HTML, and a cost-explorer redraw, in ms.

Why it matters: the stepper and the anatomy explorer redraw a whole page on every step, so
a page must draw in tens of milliseconds (a grid of 4096 rectangles takes seconds).  These
were timed unit tests; timings are this script's job, the tests check structure.

Targets: the image (draw + Agg render) under 1 s of CPU time, the HTML grid under 20 ms
(best of ``--repeats``), and the cost explorer's redraw after a slider move (new numbers,
artists updated in place, PNG written) under 200 ms at the median.
Run: ``python benchmarks/bench_render.py [--repeats 5]``.
Exit status 1 when a best time misses its target.
"""

from __future__ import annotations

import argparse
import sys
import time

from tdxlab.layout.catalog import get
from tdxlab.render.bytegrid import draw_byte_grid
from tdxlab.render.html_grid import byte_grid_html

IMAGE_TARGET_S = 1.0
HTML_TARGET_S = 0.020
REDRAW_TARGET_S = 0.200


def image_page(repeats: int) -> float:
    """Best CPU seconds to draw and render hcl_run in its 4 KiB page."""
    layout = get("hcl_run")
    best = float("inf")
    for _ in range(repeats):
        t = time.process_time()
        ax = draw_byte_grid(layout, page_size=4096)
        ax.figure.canvas.draw()
        best = min(best, time.process_time() - t)
        ax.figure.clear()
    return best


def html_page(repeats: int) -> float:
    """Best wall seconds to build the HTML grid of hcl_run's page with a highlight and a change."""
    layout = get("hcl_run")
    data = bytes(layout.size)
    byte_grid_html(layout, data, page_size=4096)  # warm
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        byte_grid_html(layout, data, page_size=4096, highlight=range(0x288, 0x290), changed={0x200})
        best = min(best, time.perf_counter() - t)
    return best


def cost_redraw(moves: int = 40) -> float:
    """Median wall seconds of one switch-fraction move of the cost explorer, PNG included."""
    from tdxlab.widgets.cost import CostExplorer

    explorer = CostExplorer()
    explorer.png()  # warm: the first draw lays out every artist
    times = []
    for i in range(moves):
        t = time.perf_counter()
        explorer.set(switch_fraction=(i % 10) / 10)
        explorer.png()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    image = image_page(args.repeats)
    html = html_page(args.repeats)
    redraw = cost_redraw()
    print(f"byte grid image, 4 KiB page: best {image * 1000:.1f} ms CPU  "
          f"target < {IMAGE_TARGET_S * 1000:.0f} ms")
    print(f"byte grid HTML, 4 KiB page:  best {html * 1000:.2f} ms  target < {HTML_TARGET_S * 1000:.0f} ms")
    print(f"cost explorer redraw + PNG:  median {redraw * 1000:.1f} ms  "
          f"target < {REDRAW_TARGET_S * 1000:.0f} ms")
    return 0 if image < IMAGE_TARGET_S and html < HTML_TARGET_S and redraw < REDRAW_TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

"""A histogram as a small SVG file, written by hand: matplotlib would be a 40 MB
dependency for one picture."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, MARGIN = 640, 320, 48
BINS = 30


def bins(values: list[int], count: int = BINS) -> list[tuple[int, int, int]]:
    """(low, high, how many) for equal-width bins covering the values; high is exclusive
    except in the last bin."""
    if not values:
        return []
    low, high = min(values), max(values)
    width = max(1, -(-(high - low + 1) // count))  # ceiling division: every value in a bin
    counts = [0] * (-(-(high - low + 1) // width))
    for value in values:
        counts[(value - low) // width] += 1
    return [(low + i * width, low + (i + 1) * width, n) for i, n in enumerate(counts)]


def histogram_svg(values: list[int], title: str, axis: str) -> str:
    """The values' histogram, with the title, the axis label and the counts at the ends."""
    rows = bins(values)
    tallest = max((n for _, _, n in rows), default=1) or 1
    plot_width, plot_height = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    bar = plot_width / max(1, len(rows))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
             f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
             f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
             f'<text x="{WIDTH / 2}" y="{MARGIN / 2}" text-anchor="middle" font-size="14">{escape(title)}</text>']
    for index, (low, high, count) in enumerate(rows):
        height = plot_height * count / tallest
        parts.append(f'<rect x="{MARGIN + index * bar:.1f}" y="{MARGIN + plot_height - height:.1f}" '
                     f'width="{max(bar - 1, 1):.1f}" height="{height:.1f}" fill="#4c78a8">'
                     f'<title>{low:,}–{high - 1:,}: {count:,}</title></rect>')
    bottom = MARGIN + plot_height
    parts += [f'<line x1="{MARGIN}" y1="{bottom}" x2="{WIDTH - MARGIN}" y2="{bottom}" stroke="black"/>',
              f'<line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{bottom}" stroke="black"/>',
              f'<text x="{MARGIN - 4}" y="{MARGIN + 4}" text-anchor="end">{tallest:,}</text>',
              f'<text x="{MARGIN - 4}" y="{bottom}" text-anchor="end">0</text>']
    if rows:
        parts += [f'<text x="{MARGIN}" y="{bottom + 16}">{rows[0][0]:,}</text>',
                  f'<text x="{WIDTH - MARGIN}" y="{bottom + 16}" text-anchor="end">{rows[-1][1] - 1:,}</text>']
    parts += [f'<text x="{WIDTH / 2}" y="{HEIGHT - 12}" text-anchor="middle">{escape(axis)}</text>', "</svg>"]
    return "\n".join(parts) + "\n"

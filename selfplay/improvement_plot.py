"""The campaign in one picture: held-out pass@1 per environment and level across generations.

    $ selfplay compare quickstart --plot improvement.png

Top panel: one line per environment and level (the candidate of each
generation), filled markers where the candidate was promoted, crosses where it
was rejected, and two reference lines in the same colour: generation 0 (the
initial policy, dotted) and the teacher it imitated (dashed, when pretraining
ran). Bottom panel: each generation's own wall time (bars) and the campaign's
elapsed time (line). The campaign logs it to the parent run after every
generation as `improvement.png`, and `improvement.html` (interactive) when
plotly is installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from selfplay.report import level_order

PNG_NAME, HTML_NAME = "improvement.png", "improvement.html"


def _levels(records: Sequence[Any]) -> list[str]:
    return sorted({key for r in records for key in r.per_level}, key=level_order)


def _series(records: Sequence[Any], key: str) -> tuple[list[int], list[float], list[bool]]:
    rows = [(r.generation, r.per_level[key], r.promoted) for r in records if key in r.per_level]
    return [g for g, _, _ in rows], [v for _, v, _ in rows], [p for _, _, p in rows]


def write_png(path: str | Path, records: Sequence[Any], teacher: dict[str, float], title: str) -> Path:
    """Draw the picture into `path` (PNG); `teacher` maps "env/level" to the teacher's accuracy."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    records = sorted(records, key=lambda r: r.generation)
    figure = Figure(figsize=(9, 6.5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 1])
    for index, key in enumerate(_levels(records)):
        colour = f"C{index % 10}"  # matplotlib's default cycle
        generations, values, promoted = _series(records, key)
        top.plot(generations, values, color=colour, linewidth=1.5, label=key)
        top.scatter([g for g, p in zip(generations, promoted) if p], [v for v, p in zip(values, promoted) if p],
                    color=colour, marker="o", s=36, zorder=3)
        top.scatter([g for g, p in zip(generations, promoted) if not p], [v for v, p in zip(values, promoted) if not p],
                    color=colour, marker="x", s=36, zorder=3)
        if generations and generations[0] == 0:
            top.axhline(values[0], color=colour, linestyle=":", linewidth=1)
        if key in teacher:
            top.axhline(teacher[key], color=colour, linestyle="--", linewidth=1)
    for record in records:
        if record.promoted and record.generation > 0:
            for axis in (top, bottom):
                axis.axvline(record.generation, color="tab:green", alpha=0.12, linewidth=6, zorder=0)
    top.set_ylim(-0.02, 1.02)
    top.set_ylabel("held-out pass@1")
    top.set_title(title)
    top.grid(alpha=0.3)
    styles = [
        Line2D([], [], color="grey", marker="o", linestyle="none", label="promoted"),
        Line2D([], [], color="grey", marker="x", linestyle="none", label="rejected"),
        Line2D([], [], color="grey", linestyle=":", label="generation 0"),
    ]
    if teacher:
        styles.append(Line2D([], [], color="grey", linestyle="--", label="teacher"))
    top.legend(handles=top.get_legend_handles_labels()[0] + styles, loc="upper left", bbox_to_anchor=(1.01, 1),
               fontsize="small")

    generations = [r.generation for r in records]
    bottom.bar(generations, [r.wall_time_s for r in records], color="tab:grey", alpha=0.6, label="generation")
    bottom.set_ylabel("time (s)")
    bottom.set_xlabel("generation")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    elapsed = bottom.twinx()
    elapsed.plot(generations, [r.elapsed_s / 60 for r in records], color="black", marker=".", label="elapsed")
    elapsed.set_ylabel("elapsed (min)")
    elapsed.set_ylim(bottom=0)
    bottom.legend(handles=[*bottom.get_legend_handles_labels()[0], *elapsed.get_legend_handles_labels()[0]],
                  loc="upper left", bbox_to_anchor=(1.08, 1), fontsize="small")
    path = Path(path)
    figure.savefig(path, dpi=110)
    return path


def write_html(path: str | Path, records: Sequence[Any], teacher: dict[str, float], title: str) -> Path | None:
    """The same picture as an interactive plotly page; None (nothing written) when plotly is not installed."""
    try:
        from plotly.subplots import make_subplots
        import plotly.graph_objects as go
    except ImportError:
        return None
    records = sorted(records, key=lambda r: r.generation)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.75, 0.25], vertical_spacing=0.06,
                           specs=[[{}], [{"secondary_y": True}]])
    for index, key in enumerate(_levels(records)):
        colour = _PLOTLY_COLOURS[index % len(_PLOTLY_COLOURS)]
        generations, values, promoted = _series(records, key)
        figure.add_trace(go.Scatter(
            x=generations, y=values, name=key, mode="lines+markers", line={"color": colour},
            marker={"symbol": ["circle" if p else "x" for p in promoted], "size": 9},
            hovertemplate="generation %{x}<br>pass@1 %{y:.3f}<extra>" + key + "</extra>",
        ), row=1, col=1)
        references = [("generation 0", values[0], "dot")] if generations and generations[0] == 0 else []
        references += [("teacher", teacher[key], "dash")] if key in teacher else []
        for label, value, dash in references:
            figure.add_trace(go.Scatter(
                x=[min(generations), max(generations)], y=[value, value], mode="lines", name=f"{key} {label}",
                line={"color": colour, "dash": dash, "width": 1},
            ), row=1, col=1)
    generations = [r.generation for r in records]
    figure.add_trace(go.Bar(x=generations, y=[r.wall_time_s for r in records], name="generation time (s)",
                            marker={"color": "grey"}), row=2, col=1)
    figure.add_trace(go.Scatter(x=generations, y=[r.elapsed_s / 60 for r in records], name="elapsed (min)",
                                line={"color": "black"}), row=2, col=1, secondary_y=True)
    figure.update_yaxes(title_text="held-out pass@1", range=[-0.02, 1.02], row=1, col=1)
    figure.update_xaxes(title_text="generation", dtick=1, row=2, col=1)
    figure.update_layout(title=title, height=650)
    path = Path(path)
    figure.write_html(path, include_plotlyjs=True)
    return path


_PLOTLY_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

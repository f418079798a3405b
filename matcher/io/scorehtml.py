"""``scorecard.html``: one self-contained page (charts embedded as PNG data).

The answer in sentences first, then the charts and the tables, and the definitions and
caveats last (what is measured, why the comparison is observational, how large the groups
were), so that a program lead can open it from a shared drive.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from matcher.evaluation.effect import wilson
from matcher.io.scoreanswer import pct

if TYPE_CHECKING:
    from matcher.io.scorecard import PeriodCard


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _bar(ax: Any, x: float, value: float | None, ci: Sequence[float] | None, **style: Any) -> None:
    if value is None:
        ax.text(x, 2, "n<5", ha="center", fontsize=8, color="#6b7785")
        return
    errors = None
    if ci is not None:
        errors = [[max(0.0, (value - ci[0]) * 100)], [max(0.0, (ci[1] - value) * 100)]]
    ax.bar(x, value * 100, yerr=errors, capsize=4, **style)


def outcomes_chart(card: PeriodCard) -> bytes:
    """Per program of the period: met rate and tie rate with their 95% intervals."""
    plt = _pyplot()
    names = list(card.programs)
    figure, ax = plt.subplots(figsize=(max(5.0, 1.8 * len(names) + 2), 3.8))
    for k, name in enumerate(names):
        block = card.programs[name].block
        _bar(
            ax,
            k - 0.18,
            block.get("met_rate"),
            block.get("met_rate_ci95"),
            width=0.36,
            color="#2f855a",
            label="met" if k == 0 else None,
        )
        _bar(
            ax,
            k + 0.18,
            block.get("tie_rate"),
            block.get("tie_rate_ci95"),
            width=0.36,
            color="#3182ce",
            label="new strong tie" if k == 0 else None,
        )
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=10, ha="right", fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% of pairs")
    ax.set_title(f"Pairs that met and ties that formed, {card.period} (95% intervals)")
    ax.grid(axis="y", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # no bar drawn when every group is under 5
        ax.legend(fontsize=8)
    data = _png(figure)
    plt.close(figure)
    return data


def effect_chart(card: PeriodCard) -> bytes:
    """Per program: the share of flagged people who formed a new strong tie, matched and not."""
    plt = _pyplot()
    names = list(card.programs)
    figure, ax = plt.subplots(figsize=(max(5.0, 1.8 * len(names) + 2), 3.8))
    for k, name in enumerate(names):
        effect = card.programs[name].block.get("effect") or {}
        for offset, key, label, color in (
            (-0.18, "treated_share", "flagged, matched", "#2f855a"),
            (0.18, "comparison_share", "flagged, not paired", "#a0aec0"),
        ):
            share = effect.get(key)
            n = effect.get("treated" if key == "treated_share" else "comparison", 0) or 0
            ci = None
            if share is not None and n:
                ci = wilson(round(share * n), n)
            _bar(
                ax, k + offset, share, ci, width=0.36, color=color, label=label if k == 0 else None
            )
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=10, ha="right", fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("% who formed a new strong tie")
    ax.set_title("Flagged people: matched against not paired (95% Wilson intervals)")
    ax.grid(axis="y", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:  # no bar drawn when every group is under 5
        ax.legend(fontsize=8)
    data = _png(figure)
    plt.close(figure)
    return data


def trend_chart(cards: Sequence[PeriodCard]) -> bytes:
    """Over the periods: each program's met and tie rates, and the org's isolated share."""
    plt = _pyplot()
    periods = [c.period for c in cards]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.0))
    programs = sorted({name for c in cards for name in c.programs})
    for name in programs:
        for key, style in (("met_rate", "-"), ("tie_rate", "--")):
            xs, ys = [], []
            for k, c in enumerate(cards):
                value = c.programs[name].block.get(key) if name in c.programs else None
                if value is not None:
                    xs.append(k)
                    ys.append(value * 100)
            if xs:
                axes[0].plot(xs, ys, style, marker="o", label=f"{name}: {key.replace('_', ' ')}")
    shares = [c.org.block.get("isolated_after_share") for c in cards]
    axes[1].plot(
        [k for k, s in enumerate(shares) if s is not None],
        [s * 100 for s in shares if s is not None],
        marker="o",
        color="#c05621",
    )
    axes[0].set_title("Met and tie rates by period")
    axes[1].set_title("Isolated at the end of each period")
    for ax in axes:
        ax.set_xticks(range(len(periods)))
        ax.set_xticklabels(periods)
        ax.set_ylabel("%")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    data = _png(figure)
    plt.close(figure)
    return data


def _cell(value: Any, ci: Sequence[float] | None = None, *, share: bool = False) -> str:
    if value is None:
        return '<td class="suppressed">–</td>'
    text = pct(value) if share else f"{value:,}" if isinstance(value, int) else f"{value:.1f}"
    if ci is not None and share:
        text += f" <small>[{pct(ci[0])}, {pct(ci[1])}]</small>"
    return f"<td>{text}</td>"


def _program_rows(card: PeriodCard) -> str:
    rows = []
    for name, program in card.programs.items():
        b = program.block
        effect = b.get("effect") or {}
        estimate = effect.get("estimate")
        effect_text = (
            "–"
            if estimate is None
            else f"{estimate * 100:+.1f} pts <small>[{effect['ci95'][0] * 100:+.1f}, "
            f"{effect['ci95'][1] * 100:+.1f}]</small>"
        )
        rows.append(
            f"<tr><th>{html.escape(name)}</th>"
            + _cell(b.get("pairs"))
            + _cell(b.get("met_rate"), b.get("met_rate_ci95"), share=True)
            + _cell(b.get("median_days_to_meet"))
            + _cell(b.get("tie_rate"), b.get("tie_rate_ci95"), share=True)
            + _cell(
                (b.get("providers") or {}).get("follow_through"),
                (b.get("providers") or {}).get("follow_through_ci95"),
                share=True,
            )
            + _cell(b.get("flagged_matched"))
            + _cell(b.get("flagged_unmatched"))
            + _cell(b.get("flagged_not_selected"))
            + f"<td>{effect_text}</td></tr>"
        )
    return "".join(rows)


def _quartile_rows(card: PeriodCard) -> str:
    rows = []
    for name, program in card.programs.items():
        for q in program.block.get("by_score_quartile") or []:
            rows.append(
                f"<tr><th>{html.escape(name)}</th><td>Q{q['quartile']} "
                f"<small>({q['score_low']:.2f} to {q['score_high']:.2f})</small></td>"
                + _cell(q.get("pairs"))
                + _cell(q.get("met_rate"), q.get("met_rate_ci95"), share=True)
                + _cell(q.get("tie_rate"), q.get("tie_rate_ci95"), share=True)
                + "</tr>"
            )
    return (
        "".join(rows)
        or '<tr><td colspan="5">Too few scored pairs for quartiles (20 or more are needed).</td></tr>'
    )


def _people(count: int | None) -> str:
    """A group's size, or "fewer than 5" when it is suppressed."""
    return "fewer than 5" if count is None else f"{count:,}"


def _group_sizes(card: PeriodCard) -> str:
    items = []
    for name, program in card.programs.items():
        b = program.block
        effect = b.get("effect") or {}
        items.append(
            f"<li><b>{html.escape(name)}</b>: {b.get('pairs', 0)} pairs"
            + (
                f" ({b['pairs_left_org']} more name people who left, not judged)"
                if b.get("pairs_left_org")
                else ""
            )
            + (
                f"; the effect compares {_people(effect.get('treated'))} flagged seekers it "
                f"matched with {_people(effect.get('comparison'))} flagged people it did not pair"
                if effect
                else ""
            )
            + (
                f"; suppressed (under 5 people): {', '.join(b['suppressed'])}"
                if b.get("suppressed")
                else ""
            )
            + "</li>"
        )
    return "".join(items)


CAVEATS = (
    "This is an observational comparison. Nobody was assigned at random to be paired or not, so "
    "the difference between matched and unpaired flagged people may come from how they were "
    "chosen: who consented or asked (people who want support may also reach out more), who the "
    "program could serve (capacity, language, hours), and who was flagged (flags are estimates "
    "from metadata).",
    "Regression to the mean: people flagged as isolated at one moment tend to look less isolated "
    "later, paired or not. The comparison group shares this, which is why it is there; the "
    "difference in differences also removes a difference in where the two groups started, but "
    "not one in their trends.",
    "Interactions only show what the tools record: a pair who met in a corridor, on a personal "
    "phone or in a tool not exported did not 'meet' here. A short window undercounts ties that "
    "form slowly.",
    "The providers' follow-through counts the pairs that met; a provider whose seekers did not "
    "reply is counted the same as one who did not reach out.",
    "A tie formed with --before-analysis: the saved analysis keeps tie strengths but not "
    "whether a tie was reciprocated, so a pair at or above the strong-tie threshold counts as "
    "strong before; ties formed can only be undercounted.",
)


_STYLE = """body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; color: #1d2733; line-height: 1.45; padding: 0 1rem; }
.answer { background: #eef6ee; border-left: 5px solid #2f855a; padding: .8rem 1.1rem; font-size: 1.05rem; }
figure { margin: 1.2rem 0; } img { max-width: 100%; border: 1px solid #dde3ea; }
figcaption { color: #52606d; font-size: .9rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; margin-bottom: 1rem; }
th, td { border-bottom: 1px solid #dde3ea; padding: .35rem .5rem; text-align: right; vertical-align: top; }
tbody th { text-align: left; font-weight: 600; } td.suppressed { color: #a0aec0; }
small { color: #6b7785; } details { margin: .6rem 0; } summary { cursor: pointer; font-weight: 600; }
footer { color: #6b7785; font-size: .85rem; margin-top: 2rem; }
"""
"""The page's style sheet (nothing is loaded from elsewhere)."""

_DEFINITIONS = """<h2 id="definitions">Definitions</h2>
<ul>
<li><b>Met</b>: the two had an interaction in the window on a mutual channel (in person, video, call, meeting, or a shared meeting of at most {broadcast_size} people) or wrote to each other in both directions (chat, e-mail).</li>
<li><b>New strong tie</b> (tie formed): the pair is a strong tie (reciprocated, at least the org-relative threshold) at the end of the window and was not one at the start of the period.</li>
<li><b>Flagged</b>: isolated (no strong tie) or peripheral at the start of the period. <b>Matched</b>: a seeker in one of the program's committed pairs. <b>Not paired</b>: flagged people in no committed pair of the period, either seekers the program left unmatched or people it did not select.</li>
<li><b>Effect</b>: the matched share who formed a new strong tie minus the not-paired share; its 95% interval is Newcombe's hybrid score interval (no resampling). A difference whose interval includes 0 is within the noise. The <b>difference in differences</b> in <code>evaluation.json</code> compares the change in the share with at least one strong tie, with an Agresti–Min adjusted interval.</li>
<li>Shares carry 95% Wilson intervals in brackets. Figures about fewer than 5 people are not shown (–), nor any figure from which one could be recovered.</li>
</ul>
"""
"""The definitions section of the page."""


def _figures(cards: Sequence[PeriodCard]) -> str:
    """The charts as inline PNG figures: the last period's outcomes and effect, and the
    trend when there are several periods."""
    esc = html.escape
    last = cards[-1]
    charts = [
        (
            "outcomes chart",
            outcomes_chart(last),
            "Share of pairs that met and that formed a new strong tie, per program, with 95% Wilson intervals.",
        ),
        (
            "effect chart",
            effect_chart(last),
            "Flagged people who formed a new strong tie: matched by the program against those it did not pair.",
        ),
    ]
    if len(cards) > 1:
        charts.append(
            (
                "trend chart",
                trend_chart(cards),
                "Per period: met and tie rates of each program, and the share of employees isolated.",
            )
        )
    return "".join(
        f'<figure><img alt="{esc(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
        for alt, png, caption in charts
    )


def scorecard_html(
    cards: Sequence[PeriodCard], sentences: Sequence[str], data: dict[str, Any]
) -> str:
    """The page: answer, charts, tables, then definitions and caveats."""
    esc = html.escape
    last = cards[-1]
    images = _figures(cards)
    window = last.window
    before = esc(last.before or "no data from before the period")
    generated = dt.datetime.now(tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    periods = ", ".join(c.period for c in cards)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Connection scorecard: {esc(periods)}</title>
<style>
{_STYLE}</style></head>
<body>
<h1>Connection scorecard</h1>
<p>Period{"s" if len(cards) > 1 else ""} {esc(periods)}; window {window.start.date()} to {window.end.date()}; before the period: {before}.</p>
<section class="answer" id="answer"><p>{"</p><p>".join(esc(s) for s in sentences)}</p></section>
<h2>Charts</h2>
{images}
<h2>Programs, {esc(last.period)}</h2>
<table id="programs"><thead><tr><th>program</th><th>pairs</th><th>met</th><th>median days to meet</th><th>new strong tie</th><th>providers whose pairs all met</th><th>flagged, matched</th><th>flagged, left unmatched</th><th>flagged, not selected</th><th>effect (matched − not paired)</th></tr></thead>
<tbody>{_program_rows(last)}</tbody></table>
<details id="quartiles"><summary>By score quartile: did better-fitting pairs meet more?</summary>
<table><thead><tr><th>program</th><th>score quartile</th><th>pairs</th><th>met</th><th>new strong tie</th></tr></thead>
<tbody>{_quartile_rows(last)}</tbody></table></details>
{_DEFINITIONS.format(broadcast_size=int(data.get("broadcast_size", 25)))}<h2 id="caveats">Caveats</h2>
<ul>{"".join(f"<li>{esc(c)}</li>" for c in CAVEATS)}</ul>
<h3>Group sizes</h3>
<ul id="sizes">{_group_sizes(last)}</ul>
<p>No one is named in this page or beside it; each pair's outcome is kept in the history database only. The figures are in <code>evaluation.json</code> and <code>scorecard.csv</code>.</p>
<footer>matcher evaluate · seed {esc(str(data.get("seed")))} · generated {generated}</footer>
</body></html>
"""

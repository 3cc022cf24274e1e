"""Learning from triage: ``eval --marks`` and ``suggest``. Registered on ``cli.cli``.

Both read the reader's labels of one watch (``Store.labelled``: hits marked relevant or
irrelevant, flagged near misses) and hand them to ``learn``, which judges them with the
watch as it is now; this module does the reading and the printing.

    Store.labelled -> learn.labels_from_rows -> learn.marks_report | learn.suggest
                   -> marks_text | suggestions_text (or --json)
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from monitor.cli import cli, config_of, open_store, pick_watch
from monitor.config import Config
from monitor.evaluate import Scores
from monitor.learn import Label, MarksReport, Suggestion, Suggestions, labels_from_rows
from monitor.watch import WatchSpec

HOW_TO_LABEL = (
    "mark hits with `monitor mark ID relevant|irrelevant` or flag near misses with"
    " `monitor flag ID`"
)

SHOWN = 5  # entries printed under a proposal


def no_labels(watch: str) -> str:
    return f"no labels for {watch} yet: {HOW_TO_LABEL}"


def read_labels(config: Config, watch: WatchSpec) -> list[Label]:
    store = open_store(config)
    try:
        return labels_from_rows(store.labelled(watch.name))
    finally:
        store.close()


def eval_marks(
    ctx: click.Context, watch_name: str | None, as_json: bool, *, file: object, stories: bool
) -> None:
    """``monitor eval --marks``: the watch measured on the reader's labels."""
    from monitor.learn import marks_report
    from monitor.match import Matcher

    if file is not None:
        raise click.UsageError("give FILE or --marks, not both")
    if stories:
        raise click.UsageError("--stories measures a FILE of labeled entries, not --marks")
    config = config_of(ctx)
    watch = pick_watch(config, watch_name)
    labels = read_labels(config, watch)
    if not labels:  # scores of nothing would read as a perfect 1.000
        raise click.ClickException(f"nothing to measure: {no_labels(watch.name)}")
    report = marks_report(watch, Matcher([watch]), labels)
    click.echo(json.dumps(report.as_dict(), ensure_ascii=False) if as_json else marks_text(report))


@cli.command()
@click.option("--watch", "watch_name", help="The watch to learn for (needed if there are several).")
@click.option(
    "--min-support",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Propose only what at least this many labelled entries show.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object of the proposals.")
@click.pass_context
def suggest(ctx: click.Context, watch_name: str | None, min_support: int, as_json: bool) -> None:
    """Propose changes to a watch from the reader's marks and flags, with the hits behind.

    Words to add to a group (in relevant entries the watch misses, in no irrelevant
    one), terms to narrow (firing in irrelevant hits, in no or far fewer relevant ones)
    and words to exclude (in irrelevant hits only). Nothing is changed: accept one by
    editing the watch file, then run `monitor rescan --watch NAME`.

    Example: monitor suggest --watch nk-troops-russia --min-support 3
    """
    from monitor.learn import suggest as propose
    from monitor.match import Matcher

    config = config_of(ctx)
    watch = pick_watch(config, watch_name)
    labels = read_labels(config, watch)
    if not labels:
        click.echo(no_labels(watch.name), err=as_json)
        if as_json:
            click.echo(json.dumps(Suggestions(watch.name, 0).as_dict()))
        return
    found = propose(watch, Matcher([watch]), labels, min_support)
    if as_json:
        click.echo(json.dumps(found.as_dict(), ensure_ascii=False))
        return
    path = Path(config["watches_dir"]) / f"{watch.name}.toml"
    click.echo(suggestions_text(found, min_support, path))


def marks_text(report: MarksReport) -> str:
    o = report.overall
    lines = [
        f"{report.watch} on {report.labels} labels ({report.relevant} relevant,"
        f" {report.flagged} of them flagged; {report.labels - report.relevant} irrelevant):"
        f" {_scores(o)} (tp {o.tp}, fp {o.fp}, fn {o.fn}, tn {o.tn})",
        "",
        "lang      labels  precision  recall  f1",
    ]
    for lang, s in sorted(report.by_lang.items()):
        count = s.tp + s.fp + s.fn + s.tn
        lines.append(f"{lang:<9} {count:>6}  {s.precision:>9.3f}  {s.recall:>6.3f}  {s.f1:.3f}")
    width = max(len("group"), *(len(g.group) for g in report.groups))
    lines += ["", f"{'group':<{width}}  relevant  irrelevant"]
    lines += [f"{g.group:<{width}}  {g.relevant:>8}  {g.irrelevant:>10}" for g in report.groups]
    if report.silent:
        lines.append(f"Found in no labelled entry: {', '.join(report.silent)}")
    lines += ["", f"Terms in irrelevant entries ({len(report.terms)}):"]
    for t in report.terms:
        lines.append(
            f"  {t.term} ({t.group}): {len(t.irrelevant)} irrelevant ({_ids(t.irrelevant)}),"
            f" {len(t.relevant)} relevant" + (f" ({_ids(t.relevant)})" if t.relevant else "")
        )
    for kind in ("false positive", "false negative"):
        cases = [m for m in report.mistakes if m.kind == kind]
        lines += ["", f"{kind.capitalize()}s ({len(cases)}):"]
        for m in cases:
            flagged = " (flagged)" if m.origin == "flagged" else ""
            lines += [f"  {m.hit_id} [{m.language}] {m.title}{flagged}", f"      {m.why}"]
    return "\n".join(lines)


def suggestions_text(found: Suggestions, min_support: int, path: Path) -> str:
    lines = [f"{found.watch}: proposals from {found.labels} labels, each backed by {min_support}+"]
    sections = (
        ("Add", found.add, "words of relevant entries the watch misses, in no irrelevant one"),
        ("Narrow", found.narrow, "terms firing in irrelevant hits, in few or no relevant ones"),
        ("Exclude", found.exclude, "words of irrelevant hits only: for exclude or a not group"),
    )
    for title, proposals, what in sections:
        lines += ["", f"{title} ({len(proposals)}): {what}"]
        for s in proposals:
            lines.append(f"  {_proposal(s)}")
            shown = list(zip(s.hit_ids, s.titles, strict=True))[:SHOWN]
            lines += [f"      {i}  {t}" for i, t in shown]
            if s.support > SHOWN:
                lines.append(f"      … {s.support - SHOWN} more (--json lists them all)")
    if not (found.add or found.narrow or found.exclude):
        lines += ["", "Nothing to propose yet: the marks agree with the watch, or are too few."]
    else:
        lines += ["", f"Accept one by editing {path}, then: monitor rescan --watch {found.watch}"]
    return "\n".join(lines)


def _proposal(s: Suggestion) -> str:
    if s.kind == "add":
        to = f" to {s.group}" if s.group else " (no required group is missing in them)"
        return f'"{s.text}"{to}: in {s.support} missed relevant entries'
    if s.kind == "narrow":
        return f'"{s.text}" of {s.group}: in {s.support} irrelevant hits, {len(s.against)} relevant'
    return f'"{s.text}": in {s.support} irrelevant hits, no relevant entry'


def _scores(s: Scores) -> str:
    return f"precision {s.precision:.3f}, recall {s.recall:.3f}, f1 {s.f1:.3f}"


def _ids(ids: tuple[int, ...], most: int = 10) -> str:
    shown = ", ".join(map(str, ids[:most]))
    return shown + (f", … {len(ids) - most} more" if len(ids) > most else "")

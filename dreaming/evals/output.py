"""Writing a finished report: ``<name>.json``, ``<name>.md`` and ``<name>.png``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from dreaming.errors import DreamingError
from dreaming.evals.chart import write_chart
from dreaming.evals.render import to_markdown
from dreaming.evals.report import SuiteReport

DEFAULT_RESULTS = Path("evals") / "results"


@dataclass(frozen=True, kw_only=True)
class Written:
    paths: tuple[Path, ...]
    warnings: tuple[str, ...] = ()


def write_results(report: SuiteReport, directory: Path = DEFAULT_RESULTS, *, name: str | None = None) -> Written:
    """The report as JSON, Markdown and a PNG chart in ``directory`` (created if needed)."""
    stem = name or report.suite
    try:
        directory.mkdir(parents=True, exist_ok=True)
        json_path = directory / f"{stem}.json"
        json_path.write_text(json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        md_path = directory / f"{stem}.md"
        md_path.write_text(to_markdown(report), encoding="utf-8")
    except OSError as err:
        raise DreamingError(f"cannot write results to {directory}: {err.strerror or err}") from None
    try:
        png = write_chart(report, directory / f"{stem}.png")
    except DreamingError as err:
        return Written(paths=(json_path, md_path), warnings=(f"no chart: {err}",))
    return Written(paths=(json_path, md_path, png))

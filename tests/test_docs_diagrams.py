"""The sample workflows' diagrams in the docs are generated from the catalogue files.

Run ``ONESTOP_REGENERATE_DOCS=1 python -m pytest tests/test_docs_diagrams.py`` after
changing a sample workflow, to rewrite the page.
"""

from __future__ import annotations

import os
from pathlib import Path

from onestop.domain.workflow.render import to_mermaid
from onestop.usecases.catalogue.loading import load_catalogue

ROOT = Path(__file__).parent.parent
PAGE = ROOT / "docs" / "reference" / "sample-workflows.md"
SAMPLES = (
    ("Jakarta", "jakarta", "en"),
    ("Cambodia", "cambodia", "en"),
    ("Korea", "korea", "en"),
    ("Egypt", "egypt", "en"),
)

HEADER = """# Sample workflows

These diagrams are generated from the workflows in the sample catalogues
(`examples/jakarta/`, `examples/cambodia/`, `examples/korea/` and `examples/egypt/`)
by `onestop.domain.workflow.render.to_mermaid`;
a test regenerates them and fails when this page is out of date.
Draw any of them yourself with:

```console
$ onestop workflow render examples/jakarta SERVICE_CODE --format mermaid
$ onestop workflow render examples/jakarta SERVICE_CODE --format dot | dot -Tsvg > workflow.svg
```
"""


def render_page() -> str:
    """Return the page as generated from the sample catalogues."""
    parts = [HEADER]
    for title, folder, language in SAMPLES:
        catalogue = load_catalogue(ROOT / "examples" / folder)
        parts.append(f"\n## {title}\n")
        for workflow in catalogue.workflows:
            users = sorted({s.code for s in catalogue.services if s.workflow == workflow.code})
            name = (
                workflow.name.get(language, fallbacks=catalogue.languages) if workflow.name else ""
            )
            parts.append(f"\n### `{workflow.code}` (version {workflow.version})\n")
            if name:
                parts.append(f"\n{name}.\n")
            parts.append(f"\nUsed by: {', '.join(f'`{u}`' for u in users)}.\n")
            diagram = to_mermaid(workflow, language=language, fallbacks=catalogue.languages)
            parts.append(f"\n```{{mermaid}}\n{diagram.rstrip()}\n```\n")
    return "".join(parts)


def test_sample_workflow_diagrams_are_up_to_date() -> None:
    """The docs page of sample workflow diagrams equals what the catalogues generate now."""
    expected = render_page()
    if os.environ.get("ONESTOP_REGENERATE_DOCS"):
        PAGE.write_text(expected, encoding="utf-8")
    assert PAGE.read_text(encoding="utf-8") == expected, (
        "docs/reference/sample-workflows.md is stale; regenerate it with "
        "ONESTOP_REGENERATE_DOCS=1 python -m pytest tests/test_docs_diagrams.py"
    )

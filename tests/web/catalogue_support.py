"""What the catalogue API's tests share: the sample mall plus a service of every field type.

`forms_catalogue` copies the sample Jakarta catalogue into a test's directory and adds
``uji-formulir`` (``form_service.toml``): a field of each answerable type (text, long
text, bounded and unbounded numbers, date, boolean, choice, multiple choice, national
and international phone, e-mail), a tiered fee with rounding, a conditional fee and a
conditional requirement that may be shown at the counter (so no upload is needed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from web_support import JAKARTA

FORM_SERVICE = Path(__file__).with_name("form_service.toml")
"""The test service's catalogue file."""

FORMS = "uji-formulir"
"""The test service's code."""


def forms_catalogue(directory: Path) -> Path:
    """Return a catalogue directory in *directory*: the sample mall and `FORMS`."""
    target = directory / "catalogue"
    if not target.exists():
        shutil.copytree(JAKARTA.resolve(), target)
        shutil.copyfile(FORM_SERVICE, target / "services" / FORM_SERVICE.name)
    return target

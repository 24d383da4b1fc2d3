"""Sample catalogues shipped with onestop: ``jakarta``, the mall ``onestop demo`` plays.

`sample_catalogue` returns the folder of one, ready for
`onestop.usecases.catalogue.loading.load_catalogue`.  A clone has the same files under
``examples/jakarta`` (a link to this folder).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from onestop.exceptions import ConfigurationError

__all__ = ["SAMPLES", "sample_catalogue"]

SAMPLES = ("jakarta",)
"""The names of the sample catalogues in this package."""


def sample_catalogue(name: str = "jakarta") -> Path:
    """Return the folder of the sample catalogue *name* inside the installed package.

    Raises:
        ConfigurationError: If *name* is not one of `SAMPLES`, or the package was
            installed without its data files.
    """
    if name not in SAMPLES:
        shown = repr(name)[:40]
        raise ConfigurationError(f"no sample catalogue named {shown}; known: {', '.join(SAMPLES)}")
    folder = Path(str(resources.files("onestop.samples").joinpath(name)))
    if not (folder / "catalogue.toml").is_file():
        raise ConfigurationError(
            f"the sample catalogue {name} is missing from {folder}: reinstall onestop-mall"
        )
    return folder

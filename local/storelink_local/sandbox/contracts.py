"""Where the platforms' contract files are: ../shared/contracts beside the repository, or where an environment
variable says."""

import os
from pathlib import Path


def contract_path(override_env: str, file_name: str) -> Path | None:
    """$<override_env>, else <repository>/../shared/contracts/<file_name>."""
    override = os.environ.get(override_env)
    if override:
        return Path(override)
    for directory in Path(__file__).resolve().parents:
        if (directory / "pyproject.toml").is_file():
            return directory.parent / "shared" / "contracts" / file_name
    return None

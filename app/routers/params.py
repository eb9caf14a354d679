"""Path and query parameters shared by several routers."""

from typing import Annotated

from fastapi import Path, Query

Year = Annotated[int, Path(ge=2000, le=2100)]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100)]

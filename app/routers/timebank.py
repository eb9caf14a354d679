"""(being built)"""

from fastapi import APIRouter

router = APIRouter(prefix="/timebank", tags=["timebank"])

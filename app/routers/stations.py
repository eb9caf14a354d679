"""(being built)"""

from fastapi import APIRouter

router = APIRouter(prefix="/stations", tags=["stations"])

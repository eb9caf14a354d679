"""(being built)"""

from fastapi import APIRouter

router = APIRouter(prefix="/checkins", tags=["checkins"])

"""(being built)"""

from fastapi import APIRouter

router = APIRouter(prefix="/events", tags=["events"])

"""(being built)"""

from fastapi import APIRouter

router = APIRouter(prefix="/activities", tags=["activities"])

"""(being built)"""

from fastapi import APIRouter

router = APIRouter(prefix="/resources", tags=["resources"])

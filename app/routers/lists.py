"""(being built)"""

from fastapi import APIRouter

router = APIRouter(prefix="/orgs", tags=["lists"])

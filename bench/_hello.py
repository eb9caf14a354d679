"""The ceiling for `python -m bench http`: a bare FastAPI hello served by the same uvicorn settings."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def hello() -> dict[str, str]:
    return {"hello": "world"}

"""Static files as a plain ASGI app: content-hashed URLs, precompressed bodies, a year-long cache.

`assets.url("app.css")` gives `/static/app.<hash>.css`; that URL never changes meaning, so it is
served with `Cache-Control: public, max-age=31536000, immutable` and a warm page downloads none of
its CSS or scripts again. The plain path (`/static/app.css`) still works, revalidated by ETag.
Text files are sent brotli- or gzip-compressed as the browser accepts (`Vary: Accept-Encoding`),
each compressed once, on the first request that asks for that encoding, and kept in memory. The file list and hashes are read at
start: a changed file needs a restart (as a changed template does).
"""

import asyncio
import gzip
import hashlib
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path

from starlette.exceptions import HTTPException

try:  # brotli is a dependency, but a missing wheel should cost only the better ratio
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json"}
mimetypes.add_type("text/javascript", ".js")


@dataclass
class Asset:
    path: Path
    media_type: str
    digest: str
    bodies: dict[str, bytes] = field(default_factory=dict)  # "" (as is), "br", "gzip": filled on demand

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    def _encode(self, encoding: str) -> bytes:
        raw = self.bodies.get("") or self.path.read_bytes()
        self.bodies[""] = raw
        if encoding and self.media_type in COMPRESSIBLE and len(raw) > 512:
            if encoding == "gzip":
                self.bodies["gzip"] = gzip.compress(raw, compresslevel=9, mtime=0)
            elif encoding == "br" and brotli is not None:
                # the best ratio for our own small files; a quick one for big vendored bundles
                self.bodies["br"] = brotli.compress(raw, quality=11 if len(raw) < 200_000 else 5)
        return self.bodies.get(encoding, raw)

    async def body(self, encoding: str) -> bytes:
        """The body in `encoding` ("br", "gzip" or "" for none), compressed once on first request."""
        if encoding in self.bodies:
            return self.bodies[encoding]
        if "" in self.bodies and (self.media_type not in COMPRESSIBLE or len(self.bodies[""]) <= 512):
            return self.bodies[""]
        return await asyncio.to_thread(self._encode, encoding)


def _hashed_name(rel: str, digest: str) -> str:
    stem, dot, ext = rel.rpartition(".")
    return f"{stem}.{digest}.{ext}" if dot and "/" not in ext else f"{rel}.{digest}"


def _route_path(scope) -> str:
    """The path below the mount point (as Starlette's Mount leaves it in the scope)."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root) and (len(path) == len(root) or path[len(root)] == "/"):
        return path[len(root) :]
    return path


class Assets:
    def __init__(self, root: Path, prefix: str = "/static"):
        self.prefix = prefix.rstrip("/")
        self.files: dict[str, Asset] = {}
        self.routes: dict[str, tuple[Asset, bool]] = {}  # URL path below the prefix → (asset, hashed)
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            rel = path.relative_to(root).as_posix()
            media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            asset = Asset(path, media, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
            self.files[rel] = asset
            self.routes["/" + rel] = (asset, False)
            self.routes["/" + _hashed_name(rel, asset.digest)] = (asset, True)

    def url(self, rel: str) -> str:
        """The content-hashed URL of a static file (the plain one for a file that does not exist)."""
        asset = self.files.get(rel)
        return f"{self.prefix}/{_hashed_name(rel, asset.digest) if asset else rel}"

    async def __call__(self, scope, receive, send) -> None:
        assert scope["type"] == "http"
        found = self.routes.get(_route_path(scope))
        if found is None:
            raise HTTPException(404)  # answered by the app's handler, like any other 404
        if scope["method"] not in ("GET", "HEAD"):
            raise HTTPException(405, headers={"Allow": "GET, HEAD"})
        asset, hashed = found
        headers = dict(scope["headers"])
        base = [
            (b"cache-control", (YEAR if hashed else REVALIDATE).encode()),
            (b"etag", asset.etag.encode()),
            (b"vary", b"accept-encoding"),
        ]
        if asset.etag in headers.get(b"if-none-match", b"").decode("latin-1"):
            await send({"type": "http.response.start", "status": 304, "headers": base})
            await send({"type": "http.response.body", "body": b""})
            return
        accepted = {
            p.split(";")[0].strip() for p in headers.get(b"accept-encoding", b"").decode("latin-1").split(",")
        }
        encoding = "br" if "br" in accepted else "gzip" if "gzip" in accepted else ""
        body = await asset.body(encoding)
        if body is asset.bodies[""]:
            encoding = ""
        out = [
            *base,
            (b"content-type", _content_type(asset.media_type)),
            (b"content-length", str(len(body)).encode()),
        ]
        if encoding:
            out.append((b"content-encoding", encoding.encode()))
        await send({"type": "http.response.start", "status": 200, "headers": out})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})


def _content_type(media: str) -> bytes:
    return (
        f"{media}; charset=utf-8" if media.startswith("text/") or media.endswith("javascript") else media
    ).encode()

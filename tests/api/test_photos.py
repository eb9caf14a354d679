"""Every uploaded photo is re-encoded: EXIF (GPS, camera) stripped, size capped, served as our JPEG."""

import io

import pytest
from PIL import Image

from app.errors import ValidationFailed
from app.services.storage import MAX_SIDE, reencode_photo
from tests.api.test_wishes import _people, _post
from tests.factories import auth, photo

API = "/api/v1/wishes"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_reencoded_photo_has_no_exif_and_is_a_jpeg(fmt):
    original = photo(fmt, gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload names a place
    clean = Image.open(io.BytesIO(reencode_photo(original)))
    assert clean.format == "JPEG"
    assert dict(clean.getexif()) == {}
    assert "exif" not in clean.info and "icc_profile" not in clean.info
    assert clean.size == (64, 48)


def test_a_large_photo_is_scaled_down_to_the_cap():
    clean = Image.open(io.BytesIO(reencode_photo(photo("JPEG", size=(4000, 3000)))))
    assert clean.size == (MAX_SIDE, MAX_SIDE * 3 // 4)


def test_sideways_phone_photo_is_stored_upright():
    img = Image.new("RGB", (80, 40), (0, 0, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(reencode_photo(out.getvalue()))).size == (40, 80)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "photo_unreadable"),  # the right magic, not an image
        (b"\xff\xd8\xff" + b"<script>alert(1)</script>", "photo_unreadable"),
        (b"GIF89a" + b"\x00" * 32, "photo_type_not_allowed"),
    ],
)
def test_bytes_that_are_not_an_image_are_422(data, code):
    with pytest.raises(ValidationFailed) as err:
        reencode_photo(data)
    assert err.value.code == code


def test_a_small_file_claiming_a_huge_image_is_refused_before_decoding():
    img = Image.new("1", (10_000, 10_000))  # 100 megapixels, a few KB as PNG
    out = io.BytesIO()
    img.save(out, "PNG")
    with pytest.raises(ValidationFailed) as err:
        reencode_photo(out.getvalue())
    assert err.value.code == "photo_too_large"


async def test_uploaded_wish_photo_is_served_without_its_gps(client, session):
    _, poster, *_ = await _people(session)
    wish = await _post(client, poster)
    resp = await client.post(
        f"{API}/{wish['id']}/photos",
        files={"photo": ("a.jpg", photo("JPEG", gps=True), "text/html")},  # the declared type is ignored
        headers=auth(poster),
    )
    assert resp.status_code == 201, resp.text
    got = await client.get(f"{API}/{wish['id']}/photos/0", headers=auth(poster))
    assert got.headers["content-type"] == "image/jpeg"
    assert b"SpyCam" not in got.content
    assert dict(Image.open(io.BytesIO(got.content)).getexif()) == {}

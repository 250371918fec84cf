"""Pictures on disk and over HTTP: only real images are kept, under content-derived names,
with a small thumbnail; only names barapp could have written are served, with long caching
and nosniff; the illustration of a cocktail is served when it has no picture."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from barapp.pictures import media
from barapp.store.tables import Cocktail
from tests.factories import add_cocktails, cocktail_doc


def picture(width: int = 1152, height: int = 896, fmt: str = "PNG", noisy: bool = False) -> bytes:
    image = Image.new("RGB", (width, height), (180, 60, 90))
    if noisy:  # a busy photo compresses badly: the thumbnail budget must still hold
        image = Image.effect_noise((width, height), 120).convert("RGB")
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_store_keeps_a_webp_and_a_thumbnail_named_by_content(tmp_path: Path) -> None:
    data = picture()
    stored = media.store(tmp_path, data)
    assert stored.file.endswith(".webp") and stored.thumb == stored.file.replace(
        ".webp", "-480.webp"
    )
    full = Image.open(tmp_path / stored.file)
    thumb = Image.open(tmp_path / stored.thumb)
    assert (full.format, full.size) == ("WEBP", (1152, 896))
    assert (thumb.format, thumb.width) == ("WEBP", 480)
    # The same bytes give the same names (no duplicate files); other bytes other names.
    assert media.store(tmp_path, data) == stored
    assert media.store(tmp_path, picture(fmt="JPEG")).file != stored.file
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]


def test_a_busy_picture_still_gets_a_thumbnail_under_60_kb(tmp_path: Path) -> None:
    stored = media.store(tmp_path, picture(noisy=True))
    assert (tmp_path / stored.thumb).stat().st_size <= media.THUMB_MAX_BYTES


@pytest.mark.parametrize(
    "data, why",
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not a readable picture"),
        (b"", "not a readable picture"),
        (picture()[:5000], "not a readable picture"),  # truncated PNG
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "not a readable picture",
        ),
        (picture(fmt="GIF"), "not a PNG, JPEG or WebP"),
    ],
)
def test_what_is_not_a_picture_is_refused_and_nothing_is_written(
    tmp_path: Path, data: bytes, why: str
) -> None:
    with pytest.raises(media.NotAnImage, match=why):
        media.store(tmp_path, data)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "name",
    [
        "../secret_key",
        "..",
        ".env",
        "a/b.webp",
        "x.svg",
        "x.html",
        "%2e%2e%2fsecret.webp",
        "missing.webp",
    ],
)
def test_safe_path_refuses_names_barapp_could_not_have_written(tmp_path: Path, name: str) -> None:
    (tmp_path / "x.svg").write_text("<svg/>")
    (tmp_path / "x.html").write_text("<p>")
    assert media.safe_path(tmp_path, name) is None


async def test_media_are_served_with_long_cache_and_nosniff(
    client: httpx.AsyncClient, database: Any
) -> None:
    stored = media.store(database.media_dir, picture())
    response = await client.get(f"/media/{stored.thumb}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "immutable" in response.headers["cache-control"]
    assert Image.open(io.BytesIO(response.content)).width == 480


@pytest.mark.parametrize(
    "path", ["/media/..%2fbarapp.sqlite3", "/media/.env", "/media/nothing.webp", "/media/x.svg"]
)
async def test_media_refuses_what_it_should_not_serve(
    client: httpx.AsyncClient, database: Any, path: str
) -> None:
    (database.media_dir / "x.svg").write_text("<svg/>")
    response = await client.get(path)
    assert response.status_code == 404
    assert "<svg" not in response.text


async def test_a_cocktail_without_picture_gets_its_illustration(client: httpx.AsyncClient) -> None:
    await add_cocktails(cocktail_doc("Negroni <script>alert(1)</script>", glass="Rocks glass"))
    row = await Cocktail.select(Cocktail.id, Cocktail.slug).first()
    assert row is not None
    response = await client.get(f"/cocktails/{row['slug']}/illustration.svg")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "<script" not in response.text and "&lt;script&gt;" in response.text
    again = await client.get(
        f"/cocktails/{row['id']}/illustration.svg",
        headers={"if-none-match": response.headers["etag"]},
    )
    assert again.status_code == 304
    page = await client.get(f"/cocktails/{row['slug']}")
    assert f'src="/cocktails/{row["id"]}/illustration.svg"' in page.text


async def test_a_hidden_cocktail_has_no_illustration_either(client: httpx.AsyncClient) -> None:
    await add_cocktails(cocktail_doc("Secret", visibility="hidden"))
    row = await Cocktail.select(Cocktail.slug).first()
    assert row is not None
    response = await client.get(f"/cocktails/{row['slug']}/illustration.svg")
    assert response.status_code == 404


async def test_media_serves_only_regular_files_inside_its_folder(
    client: httpx.AsyncClient, database: Any, tmp_path: Path
) -> None:
    folder = database.media_dir
    outside = tmp_path / "outside.webp"
    outside.write_bytes(picture(fmt="WEBP"))
    (folder / "passwd.webp").symlink_to("/etc/passwd")
    (folder / "outside.webp").symlink_to(outside)
    (folder / "relative.webp").symlink_to("../outside.webp")
    (folder / "folder.webp").mkdir()
    stored = media.store(folder, picture())
    # Even a link to one of our own pictures: what is served is what barapp wrote, nothing else.
    (folder / "alias.webp").symlink_to(folder / stored.file)
    for name in ("passwd.webp", "outside.webp", "relative.webp", "folder.webp", "alias.webp"):
        response = await client.get(f"/media/{name}")
        assert response.status_code == 404, name
        assert "root:" not in response.text
    for path in (
        "/media/..%2Foutside.webp",
        "/media/%2e%2e/outside.webp",
        "/media/../outside.webp",
    ):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get(f"/media/{stored.file}")).status_code == 200

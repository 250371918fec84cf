"""The QR code of a cocktail's public page: what it encodes, read back by a real decoder."""

from __future__ import annotations

import io

import segno
import zxingcpp
from PIL import Image

from barapp.sharing.qr import public_link, qr_svg


def test_no_public_url_no_link() -> None:
    assert public_link("", "/cocktails/abc") is None
    assert (
        public_link("https://bar.example/", "/cocktails/abc") == "https://bar.example/cocktails/abc"
    )
    assert (
        public_link("http://192.168.1.20:8000", "cocktails/x")
        == "http://192.168.1.20:8000/cocktails/x"
    )


def test_the_svg_draws_the_code_segno_makes_of_the_link() -> None:
    link = "https://bar.example/cocktails/0b5e-negroni"
    svg = str(qr_svg(link))
    assert svg.startswith("<svg") and 'class="qr"' in svg
    assert "width=" not in svg.split(">", 1)[0]  # sized by CSS
    assert link not in svg  # modules only, no text
    expected = io.BytesIO()
    segno.make(link, error="m", micro=False).save(
        expected, kind="svg", xmldecl=False, nl=False, omitsize=True, border=2,
        dark="#000", light="#fff", svgclass="qr", lineclass=None,
    )  # fmt: skip
    assert svg == expected.getvalue().decode()
    assert str(qr_svg(link + "x")) != svg


def test_a_decoder_reads_the_link_back() -> None:
    # The same code as the SVG above, as pixels a camera's decoder reads.
    link = "https://bar.example/cocktails/0b5e-negroni"
    png = io.BytesIO()
    segno.make(link, error="m", micro=False).save(png, kind="png", scale=8, border=2)
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.getvalue())))
    assert result.text == link

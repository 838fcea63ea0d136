"""A tiny stdlib-only PDF writer (Latin-1 text, Helvetica, one page per list of lines),
used to make the demo PDF and PDFs in tests without any PDF library."""

from __future__ import annotations

import textwrap
from pathlib import Path


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path: str | Path, pages: list[str], width: int = 90) -> Path:
    """Write ``pages`` (plain text, paragraphs separated by blank lines) as a PDF."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None,
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        lines = []
        for para in text.split("\n\n"):
            lines += textwrap.wrap(" ".join(para.split()), width) + [""]
        ops = ["BT", "/F1 11 Tf", "14 TL", "50 780 Td"]
        ops += [f"({_escape(line)}) Tj T*" for line in lines]
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objs.append(f"<< /Length {len(stream)} >>\nstream\n".encode("latin-1") + stream + b"\nendstream")
        content_ref = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_ref} 0 R >>")
        kids.append(len(objs))
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, obj in enumerate(objs, 1):
        offsets.append(len(out))
        body = obj if isinstance(obj, bytes) else obj.encode("latin-1")
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    Path(path).write_bytes(bytes(out))
    return Path(path)


SOLAR_KILN = [
    """Building a solar kiln for drying timber

A solar kiln dries freshly sawn boards far faster than stacking them outside. The
Brightwater community workshop built one in 2022 from recycled greenhouse panels.

The kiln is a small insulated shed with a sloping roof of clear panels facing south.
Inside, a sheet of corrugated metal painted matt black absorbs the sunlight and warms
the air, and two small fans move the warm air through the stack of boards.""",
    """Drying schedule

In summer the kiln brings oak boards from about 30 percent moisture down to 8 percent
in roughly six weeks. Vents near the floor and the roof are opened on sunny afternoons
to let the damp air escape, and closed at night so the wood cools slowly and does not
crack. Check the moisture with a pin meter on a sample board every Friday.""",
]

if __name__ == "__main__":  # regenerate the demo PDF
    write_pdf(Path(__file__).parents[2] / "examples/rag-demo/docs/solar-kiln.pdf", SOLAR_KILN)

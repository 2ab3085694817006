#!/usr/bin/env python3
"""Produce the bundled letter fonts in assets/fonts/ from Debian's fonts-noto-cjk.

Debian ships Noto CJK only as .ttc collections (19-26 MB each, five faces sharing one CFF).
The app needs just the Simplified Chinese face of the serif (letters) and sans (tickets)
regular weights, so this script takes face 2 (SC) out of each collection and keeps only the
glyphs reachable from its cmap. printpdf does no shaping, so GSUB/GPOS/BASE (and the vertical
metrics tables, since nothing is set vertically) would be dead weight; dropping them brings the
pair from ~41 MB to ~27 MB. Glyph outlines, advances and names are untouched.

Usage (one-off, needs `apt-get install fonts-noto-cjk` and `pip install fonttools`):

    python3 scripts/fonts.py            # writes assets/fonts/*.otf

Re-running it on the same Debian package version gives byte-identical files except for the
'head' modified timestamp, which fontTools sets from SOURCE_DATE_EPOCH when given.
"""

import os
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SYSTEM_DIR = Path("/usr/share/fonts/opentype/noto")
OUT_DIR = Path(__file__).resolve().parent.parent / "assets" / "fonts"
SC_FACE = 2  # JP, KR, SC, TC, HK: the order Noto CJK collections use
JOBS = [
    ("NotoSerifCJK-Regular.ttc", "NotoSerifCJKsc-Regular.otf"),
    ("NotoSansCJK-Regular.ttc", "NotoSansCJKsc-Regular.otf"),
]


def main() -> int:
    # A fixed timestamp keeps reruns reproducible.
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1643241600")  # 2022-01-27, the Debian upload
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for collection, out_name in JOBS:
        src = SYSTEM_DIR / collection
        if not src.exists():
            print(f"missing {src}: apt-get install fonts-noto-cjk", file=sys.stderr)
            return 1
        face = TTCollection(str(src)).fonts[SC_FACE]
        family = face["name"].getDebugName(1)
        if not family.endswith(" SC"):
            print(f"face {SC_FACE} of {collection} is {family!r}, not SC", file=sys.stderr)
            return 1
        with tempfile.TemporaryDirectory() as tmp:
            whole = Path(tmp) / "face.otf"
            face.save(str(whole))
            options = subset.Options()
            options.layout_features = []
            options.drop_tables += ["GSUB", "GPOS", "BASE", "vhea", "vmtx", "VORG"]
            options.name_IDs = ["*"]
            options.name_languages = ["*"]
            options.notdef_outline = True
            options.glyph_names = False
            font = subset.load_font(str(whole), options)
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=font.getBestCmap().keys())
            subsetter.subset(font)
            out = OUT_DIR / out_name
            subset.save_font(font, str(out), options)
        print(f"{out.relative_to(OUT_DIR.parent.parent)}: {out.stat().st_size} bytes ({family})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

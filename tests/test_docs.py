"""The code the docs show runs as written."""

import re
from pathlib import Path

import numpy as np
from PIL import Image

from stylegram.cli import main

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_the_masks_and_label_maps_of_docs_transfer_are_made_and_taken(tmp_path, monkeypatch, capsys):
    """docs/transfer.md's snippet makes the files its two commands name; both run on them (small and short here)."""
    text = (DOCS / "transfer.md").read_text()
    section = text.split("## Masks and label maps, made in a few lines")[1].split("\n## ")[0]
    code, commands = re.findall(r"```(?:python)?\n(.*?)```", section, re.S)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "docs/transfer.md", "exec"), {})
    assert np.asarray(Image.open("left.png"))[:, :225].min() == 255 and Image.open("swirls_map.png").size == (384, 384)
    for line in commands.strip().splitlines():
        words = line.split()
        assert words[:2] == ["stylegram", "transfer"]
        assert main([*words[1:], "--size", "64", "--iterations", "2", "--weights", "random"]) == 0, line
        assert Image.open(words[-1]).size == (64, 43)
    assert "--labels: 2 labels: grey (#786e64) 67% of the content from 50% of style image 1; sky blue (#87ceeb) 33%" \
           in capsys.readouterr().out

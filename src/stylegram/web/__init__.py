"""The local web page: upload images, pick a method, watch the image form, download it and its parameters.

Needs the ``web`` extra (FastAPI, uvicorn): ``pip install "stylegram[web]"``, then ``stylegram serve``.
"""

from .app import create_app
from .server import running

__all__ = ["create_app", "running"]

"""Generate the style images stylegram ships (src/stylegram/data): procedural, so they are ours to ship.

    python examples/make_style_samples.py

swirls.png: brush-stroke swirls (line integral convolution of noise along a field of vortices), in the
blues and yellows of a starry night. mosaic.png: a stained-glass mosaic (Voronoi cells, dark leading).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

OUT = Path(__file__).resolve().parents[1] / "src" / "stylegram" / "data"
SIZE = 384


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [0, 1]: random values on a coarse grid, upsampled bicubically."""
    coarse = Image.fromarray((rng.random((cells, cells)) * 255).astype(np.uint8))
    return np.asarray(coarse.resize((size, size), Image.BICUBIC), dtype=np.float64) / 255


def _vortex_field(rng: np.random.Generator, size: int, count: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """A unit vector field made of swirling vortices plus a gentle drift."""
    y, x = np.mgrid[0:size, 0:size].astype(np.float64)
    vx, vy = np.full_like(x, 0.6), np.full_like(x, 0.15)
    for _ in range(count):
        cx, cy = rng.random(2) * size
        spin = rng.choice([-1.0, 1.0]) * (0.5 + rng.random())
        dx, dy = x - cx, y - cy
        r2 = dx**2 + dy**2 + 40.0
        falloff = np.exp(-r2 / (2 * (size / 5) ** 2)) * size / np.sqrt(r2)
        vx += -dy / np.sqrt(r2) * spin * falloff
        vy += dx / np.sqrt(r2) * spin * falloff
    norm = np.hypot(vx, vy) + 1e-9
    return vx / norm, vy / norm


def _lic(noise: np.ndarray, vx: np.ndarray, vy: np.ndarray, steps: int = 14) -> np.ndarray:
    """Line integral convolution: average the noise along each pixel's streamline, both directions."""
    size = noise.shape[0]
    total = noise.copy()
    for direction in (1.0, -1.0):
        px, py = np.mgrid[0:size, 0:size][::-1].astype(np.float64)
        for _ in range(steps):
            ix, iy = np.clip(px.round().astype(int), 0, size - 1), np.clip(py.round().astype(int), 0, size - 1)
            px, py = px + direction * vx[iy, ix], py + direction * vy[iy, ix]
            ix, iy = np.clip(px.round().astype(int), 0, size - 1), np.clip(py.round().astype(int), 0, size - 1)
            total += noise[iy, ix]
    return total / (2 * steps + 1)


def swirls(seed: int = 7) -> Image.Image:
    """Brush-stroke swirls in night blues with yellow highlights."""
    rng = np.random.default_rng(seed)
    vx, vy = _vortex_field(rng, SIZE)
    blobs = np.kron(rng.random((SIZE // 2, SIZE // 2)), np.ones((2, 2)))  # 2 px wide strokes
    strokes = _lic(blobs, vx, vy, steps=20)
    low, high = np.percentile(strokes, [2, 98])
    strokes = np.clip((strokes - low) / (high - low), 0, 1)
    warmth = _smooth_noise(rng, SIZE, 5) ** 2
    palette_dark = np.array([0.05, 0.12, 0.35])
    palette_light = np.array([0.35, 0.6, 0.85])
    palette_warm = np.array([0.98, 0.85, 0.3])
    base = palette_dark + (palette_light - palette_dark) * strokes[..., None]
    rgb = base * (1 - warmth[..., None]) + palette_warm * strokes[..., None] * warmth[..., None]
    return Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))


def mosaic(seed: int = 11, cells: int = 70) -> Image.Image:
    """Stained glass: Voronoi cells in saturated colours, dark lead lines, a little glass texture."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)
    centres = rng.random((cells, 2)) * SIZE
    dist = np.stack([np.hypot(x - cx, y - cy) for cx, cy in centres])
    order = np.sort(dist, axis=0)
    owner = dist.argmin(0)
    hues = np.array([[0.85, 0.15, 0.1], [0.1, 0.3, 0.8], [0.95, 0.75, 0.1], [0.1, 0.6, 0.3], [0.55, 0.15, 0.6], [0.9, 0.45, 0.1]])
    colours = hues[rng.integers(0, len(hues), cells)] * (0.7 + 0.3 * rng.random((cells, 1)))
    rgb = colours[owner] * (0.8 + 0.2 * _smooth_noise(rng, SIZE, 24))[..., None]
    lead = np.clip((order[1] - order[0]) / 3.0, 0, 1)[..., None]
    rgb = rgb * lead + 0.06 * (1 - lead)
    image = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(0.6))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in [("swirls", swirls), ("mosaic", mosaic)]:
        make().save(OUT / f"{name}.png", optimize=True)
        print(OUT / f"{name}.png")


if __name__ == "__main__":
    main()

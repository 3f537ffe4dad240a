#!/usr/bin/env python3
"""Generates the storefront's product illustrations (flat SVGs) from the seed catalog.

Run once after adding products to CatalogSeed.cs; the SVGs are committed, so the app never
hot-links an image:  python3 scripts/generate-product-images.py
"""
import hashlib
import html
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEED = ROOT / "HappiTrack.Web/Features/Catalog/CatalogSeed.cs"
OUT = ROOT / "HappiTrack.Web/wwwroot/img/products"

ITEM = re.compile(r'new\("([a-z0-9-]+)", "((?:[^"\\]|\\.)*)", "([^"]+)", "([a-z-]+)", (\d+), "([a-z]+)"')

# Background, device body and accent per aesthetic: the grid reads as a styled shelf, not clip art.
PALETTES = {
    "gaming": ("#1b1530", "#2d2550", "#7c5cff", "#22d3ee"),
    "minimal": ("#eef1f5", "#d9dee7", "#1f2937", "#94a3b8"),
    "pastel": ("#fde7f0", "#f5d0e6", "#c084fc", "#f9a8d4"),
    "classic": ("#e8eef8", "#c7d3e6", "#1e3a8a", "#60a5fa"),
}


def laptop(body, accent, screen):
    return f'''
  <rect x="92" y="70" width="216" height="136" rx="10" fill="{body}"/>
  <rect x="102" y="80" width="196" height="116" rx="4" fill="{screen}"/>
  <path d="M70 210h260l-14 20H84z" fill="{body}"/>
  <rect x="178" y="212" width="44" height="5" rx="2.5" fill="{accent}" opacity=".6"/>
  <path d="M112 178l40-46 28 30 22-20 38 36z" fill="{accent}" opacity=".55"/>
  <circle cx="256" cy="108" r="12" fill="{accent}" opacity=".8"/>'''


def phone(body, accent, screen):
    return f'''
  <rect x="150" y="42" width="100" height="200" rx="20" fill="{body}"/>
  <rect x="158" y="54" width="84" height="176" rx="13" fill="{screen}"/>
  <rect x="186" y="60" width="28" height="7" rx="3.5" fill="{body}"/>
  <circle cx="200" cy="128" r="26" fill="{accent}" opacity=".7"/>
  <rect x="172" y="170" width="56" height="8" rx="4" fill="{accent}" opacity=".45"/>
  <rect x="182" y="186" width="36" height="8" rx="4" fill="{accent}" opacity=".3"/>'''


def audio(body, accent, screen):
    return f'''
  <path d="M120 160v-30a80 80 0 0 1 160 0v30" fill="none" stroke="{body}" stroke-width="16" stroke-linecap="round"/>
  <rect x="100" y="146" width="52" height="82" rx="22" fill="{body}"/>
  <rect x="248" y="146" width="52" height="82" rx="22" fill="{body}"/>
  <rect x="112" y="160" width="28" height="54" rx="14" fill="{accent}" opacity=".75"/>
  <rect x="260" y="160" width="28" height="54" rx="14" fill="{accent}" opacity=".75"/>'''


def gaming(body, accent, screen):
    return f'''
  <path d="M120 110h160a46 46 0 0 1 44 58l-12 44a26 26 0 0 1-44 10l-24-30h-88l-24 30a26 26 0 0 1-44-10l-12-44a46 46 0 0 1 44-58z" fill="{body}"/>
  <rect x="130" y="146" width="40" height="12" rx="6" fill="{screen}"/>
  <rect x="144" y="132" width="12" height="40" rx="6" fill="{screen}"/>
  <circle cx="254" cy="140" r="9" fill="{accent}"/>
  <circle cx="274" cy="160" r="9" fill="{accent}" opacity=".7"/>
  <circle cx="234" cy="160" r="9" fill="{accent}" opacity=".7"/>
  <circle cx="254" cy="180" r="9" fill="{accent}" opacity=".5"/>'''


def wearable(body, accent, screen):
    return f'''
  <rect x="170" y="30" width="60" height="230" rx="22" fill="{body}"/>
  <rect x="140" y="90" width="120" height="120" rx="34" fill="{body}"/>
  <rect x="152" y="102" width="96" height="96" rx="26" fill="{screen}"/>
  <circle cx="200" cy="150" r="30" fill="none" stroke="{accent}" stroke-width="8" stroke-dasharray="120 200" stroke-linecap="round"/>
  <rect x="260" y="132" width="8" height="24" rx="4" fill="{body}"/>'''


def smart_home(body, accent, screen):
    return f'''
  <ellipse cx="200" cy="222" rx="92" ry="16" fill="{body}" opacity=".5"/>
  <path d="M118 214c0-70 36-130 82-130s82 60 82 130z" fill="{body}"/>
  <ellipse cx="200" cy="214" rx="82" ry="14" fill="{screen}"/>
  <circle cx="200" cy="150" r="22" fill="{accent}" opacity=".8"/>
  <path d="M146 70a76 76 0 0 1 108 0M164 88a50 50 0 0 1 72 0" fill="none" stroke="{accent}" stroke-width="7" stroke-linecap="round" opacity=".6"/>'''


SHAPES = {"laptops": laptop, "phones": phone, "audio": audio, "gaming": gaming, "wearables": wearable, "smart-home": smart_home}


def svg(slug, name, brand, category, aesthetic):
    bg, body, accent, glow = PALETTES.get(aesthetic, PALETTES["classic"])
    # A stable per-product offset so two products of one category never look identical.
    seed = int(hashlib.sha256(slug.encode()).hexdigest()[:6], 16)
    cx, cy, r = 60 + seed % 280, 40 + (seed >> 8) % 80, 70 + (seed >> 16) % 50
    device = SHAPES[category]
    # Dark devices on light backgrounds, light screens on dark ones.
    device_body = accent if aesthetic == "minimal" else body
    screen = glow if aesthetic == "gaming" else "#ffffff"
    label_fill = "#ffffff" if aesthetic == "gaming" else "#111827"
    return f'''<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300" role="img" aria-label="{html.escape(name)}">
  <title>{html.escape(name)}</title>
  <rect width="400" height="300" fill="{bg}"/>
  <circle cx="{cx}" cy="{cy}" r="{r}" fill="{glow}" opacity=".25"/>
  <circle cx="{400 - cx // 2}" cy="{260 - cy // 3}" r="{r // 2}" fill="{accent}" opacity=".12"/>{device(device_body, glow if aesthetic == "minimal" else accent, screen)}
  <text x="24" y="278" font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" font-size="20" font-weight="700" letter-spacing="1" fill="{label_fill}">{html.escape(brand.upper())}</text>
</svg>
'''


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    items = ITEM.findall(SEED.read_text(encoding="utf-8"))
    if not items:
        raise SystemExit("no products found in " + str(SEED))
    for slug, name, brand, category, _price, aesthetic in items:
        (OUT / f"{slug}.svg").write_text(svg(slug, name.replace('\\"', '"'), brand, category, aesthetic), encoding="utf-8")
    print(f"wrote {len(items)} images to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

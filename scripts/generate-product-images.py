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


def headset(body, accent, screen):
    # Headphones with a boom microphone on the right cup.
    return audio(body, accent, screen) + f'''
  <path d="M296 214c0 30-22 42-52 44" fill="none" stroke="{body}" stroke-width="9" stroke-linecap="round"/>
  <circle cx="240" cy="258" r="9" fill="{accent}"/>'''


def earbuds(body, accent, screen):
    return f'''
  <rect x="140" y="150" width="120" height="96" rx="38" fill="{body}"/>
  <path d="M146 186h108" stroke="{accent}" stroke-width="3" opacity=".5"/>
  <circle cx="200" cy="222" r="5" fill="{accent}"/>
  <circle cx="160" cy="82" r="22" fill="{body}"/>
  <rect x="152" y="90" width="16" height="48" rx="8" fill="{body}"/>
  <circle cx="160" cy="82" r="9" fill="{accent}" opacity=".6"/>
  <circle cx="240" cy="82" r="22" fill="{body}"/>
  <rect x="232" y="90" width="16" height="48" rx="8" fill="{body}"/>
  <circle cx="240" cy="82" r="9" fill="{accent}" opacity=".6"/>'''


def speaker(body, accent, screen):
    # A portable cylinder speaker lying on its side: passive radiators at the ends, a grille, a strap.
    dots = "".join(f'<circle cx="{x}" cy="{y}" r="3.2"/>' for y in range(128, 196, 14) for x in range(130, 274, 14))
    return f'''
  <rect x="80" y="108" width="240" height="104" rx="52" fill="{body}"/>
  <g fill="{screen}" opacity=".45">{dots}</g>
  <ellipse cx="98" cy="160" rx="20" ry="46" fill="{accent}" opacity=".7"/>
  <ellipse cx="302" cy="160" rx="20" ry="46" fill="{accent}" opacity=".7"/>
  <rect x="176" y="150" width="48" height="20" rx="10" fill="{accent}"/>
  <path d="M310 140c26 0 30 40 4 44" fill="none" stroke="{accent}" stroke-width="6" stroke-linecap="round" opacity=".6"/>'''


def speaker_box(body, accent, screen):
    # A boxy retro speaker: grille cloth with lines, a brass knob.
    lines = "".join(f'<rect x="118" y="{y}" width="164" height="3" rx="1.5"/>' for y in range(112, 184, 9))
    return f'''
  <rect x="100" y="92" width="200" height="132" rx="20" fill="{body}"/>
  <rect x="112" y="104" width="176" height="86" rx="8" fill="{screen}" opacity=".3"/>
  <g fill="{body}" opacity=".8">{lines}</g>
  <circle cx="200" cy="207" r="9" fill="{accent}"/>
  <rect x="124" y="203" width="40" height="8" rx="4" fill="{accent}" opacity=".5"/>'''


def console(body, accent, screen):
    # A console tower with its controller in front.
    return f'''
  <rect x="112" y="38" width="116" height="214" rx="14" fill="{body}"/>
  <circle cx="170" cy="72" r="24" fill="{screen}" opacity=".35"/>
  <rect x="124" y="212" width="44" height="6" rx="3" fill="{accent}" opacity=".8"/>
  <g transform="translate(190 116) scale(.5)">{gaming(body, accent, screen)}</g>'''


def console_curved(body, accent, screen):
    # A console standing between two curved white side plates, with its controller in front.
    return f'''
  <path d="M104 252c-6-80 0-150 28-214h36v214z" fill="#f1f5f9"/>
  <rect x="166" y="44" width="24" height="208" rx="4" fill="{body}"/>
  <path d="M224 252c4-80-2-150-28-214h-8v214z" fill="#f1f5f9"/>
  <rect x="172" y="62" width="12" height="40" rx="6" fill="{accent}" opacity=".8"/>
  <g transform="translate(200 116) scale(.5)">{gaming(body, accent, screen)}</g>'''


def handheld(body, accent, screen):
    return f'''
  <rect x="68" y="86" width="56" height="136" rx="26" fill="{accent}"/>
  <rect x="276" y="86" width="56" height="136" rx="26" fill="{accent}" opacity=".6"/>
  <rect x="112" y="86" width="176" height="136" rx="6" fill="{body}"/>
  <rect x="124" y="98" width="152" height="112" rx="4" fill="{screen}"/>
  <circle cx="96" cy="124" r="12" fill="{body}"/>
  <circle cx="304" cy="184" r="12" fill="{body}"/>
  <circle cx="304" cy="124" r="6" fill="{body}"/><circle cx="96" cy="176" r="6" fill="{body}"/>
  <path d="M150 188l36-44 26 28 18-16 28 32z" fill="{accent}" opacity=".5"/>'''


def mouse(body, accent, screen):
    return f'''
  <path d="M200 46c-52 0-72 42-72 102v32c0 46 30 78 72 78s72-32 72-78v-32c0-60-20-102-72-102z" fill="{body}"/>
  <path d="M200 50v82M130 132h140" stroke="{screen}" stroke-width="4" opacity=".45"/>
  <rect x="192" y="74" width="16" height="36" rx="8" fill="{accent}"/>'''


def keyboard(body, accent, screen):
    keys = "".join(
        f'<rect x="{66 + c * 22}" y="{112 + r * 22}" width="18" height="18" rx="4" fill="{accent if (r, c) in ((0, 0), (2, 11)) else screen}"/>'
        for r in range(4) for c in range(12))
    return f'''
  <rect x="50" y="96" width="300" height="140" rx="14" fill="{body}"/>{keys}
  <rect x="132" y="200" width="136" height="18" rx="4" fill="{screen}"/>'''


def band(body, accent, screen):
    # A slim fitness tracker: a narrow strap and a pill-shaped screen with a pulse line.
    return f'''
  <rect x="180" y="30" width="40" height="230" rx="18" fill="{body}"/>
  <rect x="168" y="96" width="64" height="108" rx="26" fill="{body}"/>
  <rect x="178" y="108" width="44" height="84" rx="16" fill="{screen}"/>
  <path d="M182 152h8l6-14 7 28 6-14h9" fill="none" stroke="{accent}" stroke-width="4" stroke-linecap="round" stroke-linejoin="round"/>'''


def bulbs(body, accent, screen):
    # A starter kit: three colour bulbs.
    def bulb(cx, cy, s, fill):
        return f'''
  <g transform="translate({cx} {cy}) scale({s})">
    <circle cx="0" cy="-40" r="56" fill="{fill}"/>
    <path d="M-26 4h52v20h-52z" fill="{body}"/>
    <rect x="-22" y="26" width="44" height="9" rx="3" fill="{body}"/>
    <rect x="-22" y="38" width="44" height="9" rx="3" fill="{body}"/>
    <path d="M-14 50h28l-6 12h-16z" fill="{body}"/>
  </g>'''
    return bulb(112, 170, .62, "#fde68a") + bulb(288, 170, .62, "#93c5fd") + bulb(200, 150, 1, accent)


def thermostat(body, accent, screen):
    return f'''
  <circle cx="200" cy="150" r="98" fill="{body}"/>
  <circle cx="200" cy="150" r="80" fill="#111827"/>
  <path d="M146 196a70 70 0 1 1 108 0" fill="none" stroke="{accent}" stroke-width="6" stroke-linecap="round" opacity=".8"/>
  <text x="200" y="166" text-anchor="middle" font-family="system-ui, sans-serif" font-size="46" font-weight="300" fill="#ffffff">21°</text>'''


def robot_vacuum(body, accent, screen):
    # Seen from above: a round body, the LiDAR turret and the front bumper.
    return f'''
  <circle cx="200" cy="150" r="104" fill="{body}"/>
  <circle cx="200" cy="150" r="88" fill="{screen}" opacity=".2"/>
  <path d="M112 96a104 104 0 0 1 176 0" fill="none" stroke="{accent}" stroke-width="7" stroke-linecap="round" opacity=".6"/>
  <circle cx="200" cy="110" r="26" fill="{accent}"/>
  <circle cx="200" cy="110" r="12" fill="{body}"/>
  <rect x="172" y="190" width="56" height="10" rx="5" fill="{accent}" opacity=".6"/>'''


SHAPES = {"laptops": laptop, "phones": phone, "audio": audio, "gaming": gaming, "wearables": wearable, "smart-home": smart_home}

# What each product is, where its category's drawing would be the wrong thing (a speaker is not headphones).
KINDS = {
    "airpods-pro-2": "earbuds", "jbl-flip-6-pink": "speaker", "marshall-emberton-3": "speaker-box",
    "steelseries-arctis-nova-7": "headset", "ps5-slim": "console-curved", "xbox-series-x": "console",
    "nintendo-switch-oled": "handheld", "logitech-g-pro-x-superlight-2": "mouse", "keychron-k2-pastel": "keyboard",
    "fitbit-charge-6-coral": "band", "philips-hue-starter-kit": "bulbs", "nest-thermostat": "thermostat",
    "roborock-q7-max": "robot-vacuum",
}
CATEGORY_KINDS = {"laptops": "laptop", "phones": "phone", "audio": "headphones", "gaming": "controller", "wearables": "watch", "smart-home": "smart-speaker"}
DRAWINGS = {
    "laptop": laptop, "phone": phone, "headphones": audio, "controller": gaming, "watch": wearable, "smart-speaker": smart_home,
    "earbuds": earbuds, "speaker": speaker, "speaker-box": speaker_box, "headset": headset, "console": console, "console-curved": console_curved,
    "handheld": handheld, "mouse": mouse, "keyboard": keyboard, "band": band, "bulbs": bulbs, "thermostat": thermostat,
    "robot-vacuum": robot_vacuum,
}


def svg(slug, name, brand, category, aesthetic):
    bg, body, accent, glow = PALETTES.get(aesthetic, PALETTES["classic"])
    # A stable per-product offset so two products of one category never look identical.
    seed = int(hashlib.sha256(slug.encode()).hexdigest()[:6], 16)
    cx, cy, r = 60 + seed % 280, 40 + (seed >> 8) % 80, 70 + (seed >> 16) % 50
    kind = KINDS.get(slug, CATEGORY_KINDS[category])
    device = DRAWINGS[kind]
    # Dark devices on light backgrounds, light screens on dark ones.
    device_body = accent if aesthetic == "minimal" else body
    screen = glow if aesthetic == "gaming" else "#ffffff"
    label_fill = "#ffffff" if aesthetic == "gaming" else "#111827"
    return f'''<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300" role="img" aria-label="{html.escape(name)}" data-drawing="{kind}">
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

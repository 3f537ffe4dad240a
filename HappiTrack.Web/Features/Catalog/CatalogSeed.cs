using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Features.Catalog;

/// <summary>The demo shop's catalog. Seeding is idempotent: it adds what is missing, by slug, and never deletes.</summary>
public static class CatalogSeed
{
    public const string FeaturedSlug = "lenovo-loq-15";

    private sealed record Item(string Slug, string Name, string Brand, string Category, long PriceCents, string Aesthetic, string Summary, params (string Name, string Value)[] Specs);

    private static readonly (string Slug, string Name)[] CategoryNames =
    [
        ("laptops", "Laptops"), ("phones", "Phones"), ("audio", "Audio"),
        ("gaming", "Gaming"), ("wearables", "Wearables"), ("smart-home", "Smart Home"),
    ];

    private static readonly Item[] Items =
    [
        new("lenovo-loq-15", "Lenovo LOQ 15 Gaming Laptop", "Lenovo", "laptops", 109900, "gaming", "A 15.6\" 144 Hz gaming laptop with an RTX 4060 that stays cool and quiet.",
            ("Processor", "Intel Core i7-13620H"), ("Graphics", "NVIDIA RTX 4060 8 GB"), ("Display", "15.6\" FHD IPS, 144 Hz"), ("Memory", "16 GB DDR5"), ("Storage", "1 TB NVMe SSD"), ("Weight", "2.4 kg")),
        new("macbook-air-13", "MacBook Air 13\" M3", "Apple", "laptops", 129900, "minimal", "Fanless, silent and all-day battery in a 1.24 kg aluminium body.",
            ("Processor", "Apple M3, 8-core CPU"), ("Display", "13.6\" Liquid Retina"), ("Memory", "16 GB unified"), ("Storage", "512 GB SSD"), ("Battery", "Up to 18 h")),
        new("dell-xps-14", "Dell XPS 14", "Dell", "laptops", 169900, "minimal", "An OLED creator laptop with a seamless glass touchpad.",
            ("Processor", "Intel Core Ultra 7 155H"), ("Display", "14.5\" 3.2K OLED touch"), ("Memory", "32 GB LPDDR5x"), ("Storage", "1 TB SSD")),
        new("asus-zenbook-14-pastel", "ASUS Zenbook 14 OLED (Lavender)", "ASUS", "laptops", 89900, "pastel", "A featherweight OLED laptop in soft lavender.",
            ("Processor", "AMD Ryzen 7 8840HS"), ("Display", "14\" 2.8K OLED, 120 Hz"), ("Memory", "16 GB"), ("Weight", "1.2 kg")),
        new("hp-pavilion-15", "HP Pavilion 15", "HP", "laptops", 64900, "classic", "The dependable everyday laptop for study and work.",
            ("Processor", "Intel Core i5-1335U"), ("Display", "15.6\" FHD IPS"), ("Memory", "8 GB"), ("Storage", "512 GB SSD")),
        new("iphone-16", "iPhone 16", "Apple", "phones", 94900, "minimal", "A18 chip, the Camera Control button and a 48 MP Fusion camera.",
            ("Chip", "A18"), ("Display", "6.1\" Super Retina XDR"), ("Camera", "48 MP Fusion + 12 MP Ultra Wide"), ("Storage", "128 GB")),
        new("galaxy-s24", "Samsung Galaxy S24", "Samsung", "phones", 84900, "classic", "A compact flagship with seven years of updates.",
            ("Chip", "Exynos 2400"), ("Display", "6.2\" Dynamic AMOLED 2X, 120 Hz"), ("Camera", "50 MP triple"), ("Battery", "4,000 mAh")),
        new("pixel-9-pink", "Google Pixel 9 (Peony)", "Google", "phones", 79900, "pastel", "The cleverest camera in a soft peony pink.",
            ("Chip", "Tensor G4"), ("Display", "6.3\" Actua, 120 Hz"), ("Camera", "50 MP + 48 MP ultrawide"), ("Storage", "128 GB")),
        new("nothing-phone-2a", "Nothing Phone (2a)", "Nothing", "phones", 34900, "minimal", "Transparent design and the Glyph light interface for less.",
            ("Chip", "Dimensity 7200 Pro"), ("Display", "6.7\" AMOLED, 120 Hz"), ("Battery", "5,000 mAh")),
        new("rog-phone-8", "ASUS ROG Phone 8", "ASUS", "phones", 109900, "gaming", "A gaming phone with AirTrigger shoulder buttons and a 165 Hz screen.",
            ("Chip", "Snapdragon 8 Gen 3"), ("Display", "6.78\" AMOLED, 165 Hz"), ("Memory", "16 GB"), ("Cooling", "GameCool 8")),
        new("sony-wh-1000xm5", "Sony WH-1000XM5", "Sony", "audio", 37900, "minimal", "Industry-leading noise cancelling over-ear headphones.",
            ("Type", "Over-ear, wireless"), ("Noise cancelling", "Adaptive, 8 microphones"), ("Battery", "30 h"), ("Weight", "250 g")),
        new("airpods-pro-2", "AirPods Pro (2nd gen)", "Apple", "audio", 27900, "minimal", "Adaptive audio and a USB-C MagSafe case.",
            ("Type", "In-ear, wireless"), ("Noise cancelling", "Active, adaptive"), ("Battery", "6 h (30 h with case)")),
        new("jbl-flip-6-pink", "JBL Flip 6 (Pink)", "JBL", "audio", 12900, "pastel", "A waterproof party speaker in bubblegum pink.",
            ("Type", "Portable speaker"), ("Waterproof", "IP67"), ("Battery", "12 h")),
        new("steelseries-arctis-nova-7", "SteelSeries Arctis Nova 7", "SteelSeries", "audio", 19900, "gaming", "A multi-platform wireless gaming headset with 2.4 GHz and Bluetooth at once.",
            ("Type", "Over-ear gaming headset"), ("Connection", "2.4 GHz + Bluetooth"), ("Battery", "38 h")),
        new("marshall-emberton-3", "Marshall Emberton III", "Marshall", "audio", 16900, "classic", "Rock-and-roll looks and 32 hours of sound.",
            ("Type", "Portable speaker"), ("Waterproof", "IP67"), ("Battery", "32 h")),
        new("ps5-slim", "PlayStation 5 Slim", "Sony", "gaming", 54900, "gaming", "The slimmer PS5 with a 1 TB SSD and the DualSense controller.",
            ("Storage", "1 TB SSD"), ("Resolution", "Up to 4K 120 Hz"), ("Drive", "Ultra HD Blu-ray")),
        new("nintendo-switch-oled", "Nintendo Switch OLED", "Nintendo", "gaming", 34900, "pastel", "A vivid 7\" OLED screen for play at home and on the go.",
            ("Display", "7\" OLED"), ("Storage", "64 GB"), ("Modes", "TV, tabletop, handheld")),
        new("xbox-series-x", "Xbox Series X", "Microsoft", "gaming", 49900, "gaming", "12 teraflops and Quick Resume across several games.",
            ("Storage", "1 TB SSD"), ("Resolution", "Up to 4K 120 Hz"), ("GPU", "12 TFLOPS RDNA 2")),
        new("logitech-g-pro-x-superlight-2", "Logitech G Pro X Superlight 2", "Logitech", "gaming", 15900, "gaming", "A 60 g esports mouse with a 32,000 DPI sensor.",
            ("Weight", "60 g"), ("Sensor", "HERO 2, 32,000 DPI"), ("Battery", "95 h")),
        new("keychron-k2-pastel", "Keychron K2 (Pastel)", "Keychron", "gaming", 9900, "pastel", "A compact wireless mechanical keyboard in pastel keycaps.",
            ("Layout", "75 %"), ("Switches", "Gateron Brown, hot-swap"), ("Connection", "Bluetooth + USB-C")),
        new("apple-watch-series-10", "Apple Watch Series 10", "Apple", "wearables", 44900, "minimal", "The thinnest Apple Watch, with a larger wide-angle OLED screen.",
            ("Case", "42 mm aluminium"), ("Display", "Wide-angle OLED"), ("Sensors", "ECG, blood oxygen, temperature")),
        new("garmin-forerunner-265", "Garmin Forerunner 265", "Garmin", "wearables", 44900, "classic", "An AMOLED running watch with training readiness.",
            ("Display", "1.3\" AMOLED"), ("Battery", "Up to 13 days"), ("GPS", "Multi-band")),
        new("fitbit-charge-6-coral", "Fitbit Charge 6 (Coral)", "Google", "wearables", 15900, "pastel", "A slim fitness tracker with built-in GPS, in coral.",
            ("Display", "AMOLED colour"), ("Battery", "Up to 7 days"), ("GPS", "Built-in")),
        new("galaxy-watch-7", "Samsung Galaxy Watch7", "Samsung", "wearables", 32900, "classic", "Energy score and sleep coaching on your wrist.",
            ("Case", "44 mm"), ("Display", "Super AMOLED"), ("Battery", "Up to 40 h")),
        new("echo-dot-5", "Amazon Echo Dot (5th gen)", "Amazon", "smart-home", 5900, "minimal", "A compact smart speaker with a temperature sensor.",
            ("Assistant", "Alexa"), ("Connectivity", "Wi-Fi, Bluetooth"), ("Sensors", "Temperature, motion")),
        new("philips-hue-starter-kit", "Philips Hue White & Colour Starter Kit", "Philips", "smart-home", 19900, "pastel", "Three colour bulbs and the Hue Bridge for 16 million colours.",
            ("Bulbs", "3 × E27, 1100 lm"), ("Hub", "Hue Bridge included"), ("Works with", "Alexa, Google, Apple Home")),
        new("nest-thermostat", "Google Nest Thermostat", "Google", "smart-home", 12900, "minimal", "Saves energy by learning when you are away.",
            ("Display", "Mirror-finish lens"), ("Control", "App and voice"), ("Sensors", "Soli presence")),
        new("roborock-q7-max", "Roborock Q7 Max", "Roborock", "smart-home", 39900, "classic", "A robot vacuum and mop with LiDAR navigation.",
            ("Suction", "4,200 Pa"), ("Navigation", "LiDAR"), ("Battery", "180 min")),
    ];

    public static async Task SeedAsync(AppDbContext db, CancellationToken ct = default)
    {
        var categories = await db.Categories.Where(c => c.SiteId == SiteIds.Trusty).ToDictionaryAsync(c => c.Slug, ct);
        foreach (var (slug, name) in CategoryNames)
        {
            if (!categories.ContainsKey(slug))
            {
                categories[slug] = new Category { Slug = slug, Name = name };
                db.Categories.Add(categories[slug]);
            }
        }

        var tags = await db.Tags.Where(t => t.SiteId == SiteIds.Trusty).ToDictionaryAsync(t => t.Slug, ct);
        Tag TagFor(string slug, string name, TagKind kind)
        {
            if (!tags.TryGetValue(slug, out var tag))
            {
                tag = new Tag { Slug = slug, Name = name, Kind = kind };
                tags[slug] = tag;
                db.Tags.Add(tag);
            }
            return tag;
        }

        var existing = (await db.Products.Where(p => p.SiteId == SiteIds.Trusty).Select(p => p.Slug).ToListAsync(ct)).ToHashSet();
        foreach (var item in Items.Where(i => !existing.Contains(i.Slug)))
        {
            var category = categories[item.Category];
            var band = PriceBand(item.PriceCents);
            db.Products.Add(new Product
            {
                Slug = item.Slug,
                Name = item.Name,
                Brand = item.Brand,
                Summary = item.Summary,
                PriceCents = item.PriceCents,
                Category = category,
                IsFeatured = item.Slug == FeaturedSlug,
                Specs = item.Specs.Select((s, i) => new ProductSpec { Name = s.Name, Value = s.Value, SortOrder = i }).ToList(),
                // "gaming" is both a category and an aesthetic: one tag serves both.
                Tags = new[]
                {
                    TagFor(Slugify(item.Brand), item.Brand, TagKind.Brand),
                    TagFor(category.Slug, category.Name, TagKind.Category),
                    TagFor(band.Slug, band.Name, TagKind.PriceBand),
                    TagFor(item.Aesthetic, char.ToUpperInvariant(item.Aesthetic[0]) + item.Aesthetic[1..], TagKind.Aesthetic),
                }.Distinct().ToList(),
            });
        }
        await db.SaveChangesAsync(ct);
    }

    internal static (string Slug, string Name) PriceBand(long priceCents) => priceCents switch
    {
        < 20000 => ("under-200", "Under €200"),
        < 60000 => ("200-600", "€200–600"),
        < 100000 => ("600-1000", "€600–1,000"),
        _ => ("premium", "€1,000+"),
    };

    private static string Slugify(string text) =>
        new string(text.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
}

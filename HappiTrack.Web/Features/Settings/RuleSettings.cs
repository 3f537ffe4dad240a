using System.Globalization;
using HappiTrack.Web.Features.Tracking;
using Microsoft.AspNetCore.Mvc.ModelBinding.Validation;

namespace HappiTrack.Web.Features.Settings;

/// <summary>
/// Every tunable of scoring, rules and guards. Stored as one JSON document in the database (seeded
/// from the <c>Rules</c> configuration section on first start) so an admin's edit applies to the
/// next evaluation without a restart.
/// </summary>
public sealed class RuleSettings
{
    public const int DefaultHoldoutPercent = 10;
    public const int MaxHoldoutPercent = 50;

    public ScoringSettings Scoring { get; set; } = new();
    public InterestDiscountSettings InterestDiscount { get; set; } = new();
    public CartRescueSettings CartRescue { get; set; } = new();
    public VipSettings Vip { get; set; } = new();
    public GuardSettings Guards { get; set; } = new();
    public OutboxRetrySettings Dispatch { get; set; } = new();

    /// <summary>One message per offending field, keyed by a dotted path such as <c>Guards.QuietHoursStart</c>.</summary>
    public IReadOnlyDictionary<string, string> Validate()
    {
        var errors = new Dictionary<string, string>();
        void Range(string field, double value, double min, double max)
        {
            if (double.IsNaN(value) || value < min || value > max)
                errors[field] = $"Must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}.";
        }
        void Template(string field, string? template)
        {
            if (string.IsNullOrWhiteSpace(template)) errors[field] = "A message template is required.";
            else if (template.Length > 1000) errors[field] = "Keep the template under 1000 characters.";
            else if (!template.Contains("{link}", StringComparison.Ordinal)) errors[field] = "The template must contain {link}.";
        }

        foreach (var (type, weight) in Scoring.Weights)
        {
            if (!EventTypes.ClientTypes.Contains(type) && type is not (EventTypes.Purchase or EventTypes.Checkout or EventTypes.RemoveFromCart))
                errors[$"Scoring.Weights.{type}"] = "Unknown event type.";
            else Range($"Scoring.Weights.{type}", weight, -1000, 1000);
        }
        Range("Scoring.ClientAddToCartWeight", Scoring.ClientAddToCartWeight, 0, 1000);
        Range("Scoring.HalfLifeDays", Scoring.HalfLifeDays, 0.01, 3650);
        Range("Scoring.ClientPointsPerHour", Scoring.ClientPointsPerHour, 0, 100_000);

        Range("InterestDiscount.Threshold", InterestDiscount.Threshold, 1, 100_000);
        Range("InterestDiscount.Percent", InterestDiscount.Percent, 1, 100);
        Range("InterestDiscount.ValidHours", InterestDiscount.ValidHours, 1, 24 * 365);
        Range("InterestDiscount.RepeatAfterDays", InterestDiscount.RepeatAfterDays, 0, 3650);
        Template("InterestDiscount.Template", InterestDiscount.Template);
        Range("InterestDiscount.HoldoutPercent", InterestDiscount.HoldoutPercent, 0, MaxHoldoutPercent);

        Range("CartRescue.IdleMinutes", CartRescue.IdleMinutes, 1, 7 * 24 * 60);
        Range("CartRescue.Percent", CartRescue.Percent, 0, 100);
        Range("CartRescue.ValidHours", CartRescue.ValidHours, 1, 24 * 365);
        Template("CartRescue.Template", CartRescue.Template);
        Range("CartRescue.HoldoutPercent", CartRescue.HoldoutPercent, 0, MaxHoldoutPercent);

        Range("Vip.AfterOrders", Vip.AfterOrders, 1, 1000);
        Range("Vip.Percent", Vip.Percent, 1, 100);
        Range("Vip.ValidDays", Vip.ValidDays, 1, 3650);
        Template("Vip.Template", Vip.Template);
        Range("Vip.HoldoutPercent", Vip.HoldoutPercent, 0, MaxHoldoutPercent);

        Range("Guards.MaxPerWindow", Guards.MaxPerWindow, 1, 100);
        Range("Guards.WindowHours", Guards.WindowHours, 1, 24 * 30);
        if (!TimeOnly.TryParseExact(Guards.QuietHoursStart, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            errors["Guards.QuietHoursStart"] = "Use 24-hour HH:mm, e.g. 21:00.";
        if (!TimeOnly.TryParseExact(Guards.QuietHoursEnd, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            errors["Guards.QuietHoursEnd"] = "Use 24-hour HH:mm, e.g. 09:00.";

        Range("Dispatch.MaxAttempts", Dispatch.MaxAttempts, 1, 50);
        Range("Dispatch.BaseBackoffSeconds", Dispatch.BaseBackoffSeconds, 1, 3600);
        return errors;
    }
}

public sealed class ScoringSettings
{
    public Dictionary<string, double> Weights { get; set; } = new(StringComparer.Ordinal)
    {
        [EventTypes.PageView] = 1,
        [EventTypes.ProductView] = 5,
        [EventTypes.LingerSpecs] = 15,
        [EventTypes.Click] = 2,
        [EventTypes.AddToCart] = 50,
        [EventTypes.Purchase] = 30,
    };
    /// <summary>The browser's add_to_cart is a hint; the server's own event carries the real weight.</summary>
    public double ClientAddToCartWeight { get; set; }
    public double HalfLifeDays { get; set; } = 14;
    /// <summary>Score points that client-sent events may add per visitor per clock hour.</summary>
    public double ClientPointsPerHour { get; set; } = 60;

    [ValidateNever] public TimeSpan HalfLife => TimeSpan.FromDays(HalfLifeDays);
}

public sealed class InterestDiscountSettings
{
    public bool Enabled { get; set; } = true;
    /// <summary>Share of eligible contacts held out as this rule's control group (0–50), to measure its lift.</summary>
    public int HoldoutPercent { get; set; } = RuleSettings.DefaultHoldoutPercent;
    public double Threshold { get; set; } = 60;
    public int Percent { get; set; } = 10;
    public int ValidHours { get; set; } = 48;
    public int RepeatAfterDays { get; set; } = 30;
    public string Template { get; set; } =
        "Hi {name}! Still thinking about the {product}? Here is {percent}% off, just for you, for the next {hours} hours: {link}";
}

public sealed class CartRescueSettings
{
    public bool Enabled { get; set; } = true;
    /// <summary>Share of eligible contacts held out as this rule's control group (0–50), to measure its lift.</summary>
    public int HoldoutPercent { get; set; } = RuleSettings.DefaultHoldoutPercent;
    public int IdleMinutes { get; set; } = 30;
    public int Percent { get; set; } = 10;
    public int ValidHours { get; set; } = 24;
    public string Template { get; set; } =
        "Hi {name}, your cart is waiting for you. Pick up where you left off with {percent}% off (valid {hours} hours): {link}";
}

public sealed class VipSettings
{
    public bool Enabled { get; set; } = true;
    /// <summary>Share of eligible contacts held out as this rule's control group (0–50), to measure its lift.</summary>
    public int HoldoutPercent { get; set; } = RuleSettings.DefaultHoldoutPercent;
    public int AfterOrders { get; set; } = 3;
    public int Percent { get; set; } = 50;
    public int ValidDays { get; set; } = 30;
    public string Template { get; set; } =
        "Hi {name}, thank you for your {orders} orders! You are now a VIP: enjoy {percent}% off your next order within {days} days: {link}";
}

public sealed class GuardSettings
{
    /// <summary>Marketing nudges per contact per window, across rules and campaigns.</summary>
    public int MaxPerWindow { get; set; } = 1;
    public int WindowHours { get; set; } = 24;
    public string QuietHoursStart { get; set; } = "21:00";
    public string QuietHoursEnd { get; set; } = "09:00";

    // Derived values: MVC validation of the admin rules form must not evaluate them on unvalidated input (25:00 throws).
    [ValidateNever] public TimeOnly QuietStart => TimeOnly.ParseExact(QuietHoursStart, "HH:mm", CultureInfo.InvariantCulture);
    [ValidateNever] public TimeOnly QuietEnd => TimeOnly.ParseExact(QuietHoursEnd, "HH:mm", CultureInfo.InvariantCulture);
}

/// <summary>
/// The outbox's attempts and backoff, stored in the settings document under <c>Dispatch</c> (the JSON
/// name is unchanged). Named apart from <c>DispatchOptions</c>, the configuration of the channel.
/// </summary>
public sealed class OutboxRetrySettings
{
    public int MaxAttempts { get; set; } = 5;
    public int BaseBackoffSeconds { get; set; } = 30;
}

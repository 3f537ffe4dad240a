using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Settings;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace HappiTrack.Web.Features.Nudges;

/// <summary>Why a nudge is <see cref="NudgeStatuses.HeldOut"/>, as stored in <see cref="Nudge.Reason"/>.</summary>
public static class HoldoutReasons
{
    /// <summary>The control arm of the rule's or campaign's own holdout: these rows are the lift analysis's control group.</summary>
    public const string Holdout = "holdout";
    /// <summary>The contact is in the global control group and gets no marketing at all; not part of any one rule's comparison.</summary>
    public const string GlobalControl = "global_control";
}

/// <summary>
/// <c>Marketing:GlobalControlPercent</c> (0–50, default 0): the share of contacts who never get a marketing
/// nudge. <c>Marketing:HoldoutKey</c>: the secret that keys the arm assignment (at least 32 characters);
/// when unset, a random key is made at first start and kept in the database so every instance agrees.
/// </summary>
public sealed class MarketingOptions
{
    public const string Section = "Marketing";
    public const int MaxPercent = 50;

    public int GlobalControlPercent { get; set; }
    public string? HoldoutKey { get; set; }
}

internal sealed class MarketingOptionsValidator : IValidateOptions<MarketingOptions>
{
    public ValidateOptionsResult Validate(string? name, MarketingOptions options)
    {
        var errors = new List<string>();
        if (options.GlobalControlPercent is < 0 or > MarketingOptions.MaxPercent)
            errors.Add($"Marketing:GlobalControlPercent must be between 0 and {MarketingOptions.MaxPercent}.");
        if (!string.IsNullOrEmpty(options.HoldoutKey) && options.HoldoutKey.Length < 32)
            errors.Add("Marketing:HoldoutKey must be at least 32 characters (or unset, to use the key generated in the database).");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Which comparison a nudge takes part in, and what share of contacts it holds back (0–50).</summary>
/// <param name="SuppressWhenCapped">A campaign suppresses a capped contact instead of deferring it; such a contact is in neither arm.</param>
public sealed record HoldoutGroup(string Subject, int Percent, bool SuppressWhenCapped = false)
{
    public static HoldoutGroup ForCampaign(int campaignId, int percent) => new(Holdouts.CampaignSubject(campaignId), percent, SuppressWhenCapped: true);

    /// <summary>The rule's own holdout from the settings document; null for a kind that is not a rule.</summary>
    public static HoldoutGroup? ForRule(string kind, RuleSettings settings) => kind switch
    {
        NudgeKinds.InterestDiscount => new(Holdouts.RuleSubject(kind), settings.InterestDiscount.HoldoutPercent),
        NudgeKinds.CartRescue => new(Holdouts.RuleSubject(kind), settings.CartRescue.HoldoutPercent),
        NudgeKinds.VipUpgrade => new(Holdouts.RuleSubject(kind), settings.Vip.HoldoutPercent),
        _ => null,
    };
}

/// <summary>
/// Stable random arms. HMAC-SHA256 over (contact, subject, period) with a secret key: the same contact stays in
/// the same arm for a rule throughout a calendar month (so re-evaluations never flip it), arms are independent
/// between rules and months, and without the key nobody can predict or steer who is held out.
/// </summary>
public static class Holdouts
{
    /// <summary>The global control group never rotates: "no marketing" must mean none, not none this month.</summary>
    public const string GlobalSubject = "global";
    public const string GlobalPeriod = "all";
    private const int Buckets = 10_000;

    public static string RuleSubject(string kind) => "rule:" + kind;
    public static string CampaignSubject(int campaignId) => "campaign:" + campaignId.ToString(CultureInfo.InvariantCulture);

    /// <summary>A rule's arms are redrawn each UTC calendar month, so nobody is kept from a rule forever.</summary>
    public static string Period(DateTime utc) => utc.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>True when the contact falls in the held-out <paramref name="percent"/> (0–100) for this subject and period.</summary>
    public static bool IsHeldOut(byte[] key, int contactId, string subject, string period, int percent)
    {
        if (percent <= 0) return false;
        if (percent >= 100) return true;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{contactId.ToString(CultureInfo.InvariantCulture)}|{subject}|{period}"), mac);
        // 64 bits reduced to 10,000 buckets: the modulo bias is below 1e-15, far under any tolerance that matters.
        var bucket = (int)(BinaryPrimitives.ReadUInt64BigEndian(mac) % Buckets);
        return bucket < percent * (Buckets / 100);
    }
}

/// <summary>The generated holdout key: one row, made once, read by every instance.</summary>
public sealed class HoldoutKeyRecord
{
    public const int SingletonId = 1;
    public int Id { get; set; } = SingletonId;
    /// <summary>Base64 of 32 random bytes.</summary>
    public required string Key { get; set; }
    public DateTime CreatedAt { get; set; }
}

internal sealed class HoldoutKeyRecordConfiguration : IEntityTypeConfiguration<HoldoutKeyRecord>
{
    public void Configure(EntityTypeBuilder<HoldoutKeyRecord> b)
    {
        b.ToTable("HoldoutKey");
        b.Property(r => r.Id).ValueGeneratedNever();
        b.Property(r => r.Key).HasMaxLength(64);
    }
}

/// <summary>
/// The key that decides the arms: <c>Marketing:HoldoutKey</c> when configured, else the database's row (created
/// on first use if the start-up seeder has not run). Cached for the process: the key never changes once made.
/// </summary>
public sealed class HoldoutKeys(IOptions<MarketingOptions> options, TimeProvider clock)
{
    private byte[]? _key;

    public async Task<byte[]> GetAsync(AppDbContext db, CancellationToken ct = default)
    {
        if (_key is { } cached) return cached;
        if (options.Value.HoldoutKey is { Length: > 0 } configured) return _key = Encoding.UTF8.GetBytes(configured);
        var stored = await ReadAsync(db, ct);
        if (stored is null)
        {
            await EnsureAsync(db, ct);
            stored = await ReadAsync(db, ct) ?? throw new InvalidOperationException("The holdout key could not be stored.");
        }
        return _key = Convert.FromBase64String(stored);
    }

    /// <summary>Creates the row if it is missing; another instance winning the race is fine, its key is as good.</summary>
    public async Task EnsureAsync(AppDbContext db, CancellationToken ct = default)
    {
        if (options.Value.HoldoutKey is { Length: > 0 } || await ReadAsync(db, ct) is not null) return;
        // Usually made by the start-up seeder; here only if that never ran (the caller's context, so its transaction holds).
        var record = new HoldoutKeyRecord { Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), CreatedAt = clock.GetUtcNow().UtcDateTime };
        db.Add(record);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.Entry(record).State = EntityState.Detached;
            if (await ReadAsync(db, ct) is null) throw;
            return;
        }
        db.Entry(record).State = EntityState.Detached;
    }

    private static Task<string?> ReadAsync(AppDbContext db, CancellationToken ct) =>
        db.Set<HoldoutKeyRecord>().AsNoTracking().Where(r => r.Id == HoldoutKeyRecord.SingletonId).Select(r => r.Key).FirstOrDefaultAsync(ct);
}

/// <summary>Makes the holdout key at first start (after migrations), under the start-up lock so instances agree.</summary>
internal sealed class HoldoutKeySeeder(IServiceScopeFactory scopes) : IHostedService
{
    public async Task StartAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AppDbContext>();
        var keys = scope.ServiceProvider.GetRequiredService<HoldoutKeys>();
        await db.RunUnderStartupLockAsync(() => keys.EnsureAsync(db, ct), ct);
    }

    public Task StopAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>How many contacts the global control group keeps from all marketing (the admin dashboard's figure).</summary>
public sealed record GlobalControlSummary(int Percent, int HeldOutContacts, int OptedInHeldOut, int AllContacts);

public sealed class GlobalControl(AppDbContext db, HoldoutKeys keys, IOptions<MarketingOptions> options)
{
    public int Percent => options.Value.GlobalControlPercent;

    public async Task<bool> ContainsAsync(int contactId, CancellationToken ct = default) =>
        Percent > 0 && Holdouts.IsHeldOut(await keys.GetAsync(db, ct), contactId, Holdouts.GlobalSubject, Holdouts.GlobalPeriod, Percent);

    /// <summary>Hashes every contact id: about a microsecond each, so a second for a million contacts.</summary>
    public async Task<GlobalControlSummary> SummaryAsync(CancellationToken ct = default)
    {
        if (Percent == 0) return new GlobalControlSummary(0, 0, 0, await db.Contacts.CountAsync(ct));
        var key = await keys.GetAsync(db, ct);
        var contacts = await db.Contacts.AsNoTracking().Select(c => new { c.Id, Messageable = c.OptedIn && !c.OptedOut }).ToListAsync(ct);
        var held = contacts.Where(c => Holdouts.IsHeldOut(key, c.Id, Holdouts.GlobalSubject, Holdouts.GlobalPeriod, Percent)).ToList();
        return new GlobalControlSummary(Percent, held.Count, held.Count(c => c.Messageable), contacts.Count);
    }
}

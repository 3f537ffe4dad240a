using System.Text.Json;
using HappiTrack.Web.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Settings;

/// <summary>The single stored settings document.</summary>
public sealed class RuleSettingsRecord
{
    public const int SingletonId = 1;
    public int Id { get; set; } = SingletonId;
    public required string Json { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string? UpdatedBy { get; set; }
}

internal sealed class RuleSettingsRecordConfiguration : IEntityTypeConfiguration<RuleSettingsRecord>
{
    public void Configure(EntityTypeBuilder<RuleSettingsRecord> b)
    {
        b.ToTable("RuleSettings");
        b.Property(r => r.Id).ValueGeneratedNever();
        b.Property(r => r.UpdatedBy).HasMaxLength(256);
    }
}

public sealed record SettingsUpdateResult(bool Succeeded, IReadOnlyDictionary<string, string> Errors);

/// <summary>
/// Reads the rule settings fresh from the database on every call (no cache), so an admin's change
/// applies to the very next evaluation on every instance.
/// </summary>
public sealed class RuleSettingsService(AppDbContext db, IConfiguration configuration, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<RuleSettings> GetAsync(CancellationToken ct = default)
    {
        var json = await db.Set<RuleSettingsRecord>().AsNoTracking()
            .Where(r => r.Id == RuleSettingsRecord.SingletonId).Select(r => r.Json).FirstOrDefaultAsync(ct);
        return json is null ? FromConfiguration(configuration) : Deserialize(json);
    }

    /// <summary>Validates and stores; nothing is written when any field is invalid.</summary>
    public async Task<SettingsUpdateResult> UpdateAsync(RuleSettings settings, string? updatedBy, CancellationToken ct = default)
    {
        var errors = settings.Validate();
        if (errors.Count > 0) return new SettingsUpdateResult(false, errors);
        var record = await db.Set<RuleSettingsRecord>().FirstOrDefaultAsync(r => r.Id == RuleSettingsRecord.SingletonId, ct);
        if (record is null)
        {
            record = new RuleSettingsRecord { Json = "" };
            db.Add(record);
        }
        record.Json = JsonSerializer.Serialize(settings, Json);
        record.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        record.UpdatedBy = updatedBy;
        await db.SaveChangesAsync(ct);
        return new SettingsUpdateResult(true, errors);
    }

    /// <summary>Seeds the stored document from configuration on first start; later starts keep the admin's edits.</summary>
    public async Task SeedAsync(CancellationToken ct = default)
    {
        if (await db.Set<RuleSettingsRecord>().AnyAsync(ct)) return;
        var settings = FromConfiguration(configuration);
        var errors = settings.Validate();
        if (errors.Count > 0)
            throw new InvalidOperationException("Invalid 'Rules' configuration: " + string.Join("; ", errors.Select(e => $"{e.Key}: {e.Value}")));
        db.Add(new RuleSettingsRecord { Json = JsonSerializer.Serialize(settings, Json), UpdatedAt = clock.GetUtcNow().UtcDateTime, UpdatedBy = "configuration" });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            // Another instance seeded first and its copy is equivalent; anything else is a real failure.
            if (!await db.Set<RuleSettingsRecord>().AsNoTracking().AnyAsync(ct)) throw;
        }
    }

    public static RuleSettings FromConfiguration(IConfiguration configuration)
    {
        var settings = new RuleSettings();
        configuration.GetSection("Rules").Bind(settings);
        return settings;
    }

    private static RuleSettings Deserialize(string json) => JsonSerializer.Deserialize<RuleSettings>(json, Json) ?? new RuleSettings();
}

using System.Security.Cryptography;
using System.Text;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Contacts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace HappiTrack.Web.Features.Privacy;

/// <summary>
/// A phone number whose owner was erased, kept only as an HMAC of its E.164 form: the shop can
/// recognise the number when it comes back, but the table alone does not give it away (a plain hash
/// of a phone number is reversed by trying every number; the key is not in the database).
/// </summary>
public sealed class SuppressedPhone
{
    /// <summary>Lower-case hex HMAC-SHA256.</summary>
    public required string Hash { get; set; }
    public DateTime CreatedAt { get; set; }
}

/// <summary>That a contact was erased, when, by whom and why: what remains of them once their data is gone.</summary>
public sealed class ContactErasure
{
    public int Id { get; set; }
    public int ContactId { get; set; }
    public DateTime ErasedAt { get; set; }
    public required string Actor { get; set; }
    public required string Reason { get; set; }
}

internal sealed class SuppressedPhoneConfiguration : IEntityTypeConfiguration<SuppressedPhone>
{
    public void Configure(EntityTypeBuilder<SuppressedPhone> b)
    {
        b.ToTable("SuppressedPhones");
        b.HasKey(s => s.Hash);
        b.Property(s => s.Hash).HasMaxLength(64);
    }
}

internal sealed class ContactErasureConfiguration : IEntityTypeConfiguration<ContactErasure>
{
    public void Configure(EntityTypeBuilder<ContactErasure> b)
    {
        b.ToTable("ContactErasures");
        b.Property(e => e.Actor).HasMaxLength(256);
        b.Property(e => e.Reason).HasMaxLength(500);
        b.HasIndex(e => e.ContactId).IsUnique();
    }
}

/// <summary>
/// <c>Privacy:RawEventDays</c> (default 180), <c>Privacy:NudgeBodyDays</c> (default 90) and the
/// suppression list's HMAC key <c>Privacy:SuppressionKey</c>. The key must come from configuration
/// (environment, secrets store) in production; Development and Testing derive a fixed one so a
/// clone runs without setup.
/// </summary>
public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    public int RawEventDays { get; set; } = 180;
    public int NudgeBodyDays { get; set; } = 90;
    /// <summary>Rows per DELETE/UPDATE, so retention never holds the write lock long enough to stall ingestion.</summary>
    public int BatchSize { get; set; } = 2000;
    /// <summary>The configured secret; <see cref="SuppressionKeyBytes"/> is what the HMAC uses.</summary>
    public string? SuppressionKey { get; set; }

    public byte[]? SuppressionKeyBytes { get; private set; }

    public void ApplyDefaults(IHostEnvironment environment) =>
        SuppressionKeyBytes = !string.IsNullOrWhiteSpace(SuppressionKey) ? Encoding.UTF8.GetBytes(SuppressionKey)
            : environment.IsDevelopment() || environment.IsEnvironment("Testing")
                ? SHA256.HashData(Encoding.UTF8.GetBytes("happitrack-suppression-key:" + environment.EnvironmentName))
                : null;
}

public sealed class PrivacyOptionsValidator : IValidateOptions<PrivacyOptions>
{
    public ValidateOptionsResult Validate(string? name, PrivacyOptions options)
    {
        var errors = new List<string>();
        if (options.RawEventDays < 1) errors.Add("Privacy:RawEventDays must be at least 1.");
        if (options.NudgeBodyDays < 1) errors.Add("Privacy:NudgeBodyDays must be at least 1.");
        if (options.BatchSize is < 1 or > 100_000) errors.Add("Privacy:BatchSize must be between 1 and 100000.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>The suppression list: written by the eraser, read by contact creation and checkout.</summary>
public sealed class PhoneSuppression(AppDbContext db, PrivacyOptions options) : IOptInSuppression
{
    public bool HasKey => options.SuppressionKeyBytes is not null;

    public string Hash(string e164Phone)
    {
        var key = options.SuppressionKeyBytes ?? throw new InvalidOperationException("Privacy:SuppressionKey is not configured.");
        return Convert.ToHexStringLower(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(e164Phone)));
    }

    public async Task<bool> IsSuppressedAsync(string e164Phone, CancellationToken ct)
    {
        // Without a key nothing can have been suppressed (erasure refuses to run), so the list is empty.
        if (!HasKey) return false;
        var hash = Hash(e164Phone);
        return await db.Set<SuppressedPhone>().AnyAsync(s => s.Hash == hash, ct);
    }
}

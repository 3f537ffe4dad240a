using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Areas.Admin.Pages.Sites;

/// <summary>
/// How to connect one site: the snippet, the signing recipe with a curl example (a placeholder secret, never
/// the real one), the last requests its server sent with their verdicts, and a signed test event.
/// </summary>
public sealed class IntegrationModel(SiteAdmin sites, SiteEventPipeline pipeline, AppDbContext db, IAuditLog audit) : PageModel
{
    public const int Shown = 20;
    public const string PlaceholderSecret = "hts_paste_your_secret_here";

    public SiteSummary Site { get; private set; } = null!;
    public IReadOnlyList<SiteRequest> Requests { get; private set; } = [];
    public SiteEventOutcome? TestResult { get; private set; }
    public bool CartRestoreSaved { get; private set; }

    [BindProperty] public string? CartRestoreUrlTemplate { get; set; }

    /// <summary>The brain as the admin reached it: where the shop's pages and server must send.</summary>
    public string BrainUrl => $"{Request.Scheme}://{Request.Host}";
    public string EventsUrl => $"{BrainUrl}/api/sites/{Site.Key}/events";
    public string Snippet => $"<script src=\"{BrainUrl}/t.js\" data-site=\"{Site.Key}\" defer></script>";

    public string CurlExample =>
        $$$"""
        HAPPITRACK_SECRET='{{{PlaceholderSecret}}}'
        body='{"type":"order_placed","data":{"order_id":"1001","phone":"+49 151 12345678","opt_in":true,"total":19.99,"lines":[{"slug":"blue-mug","name":"Blue mug","price":19.99,"qty":1}]}}'
        sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$HAPPITRACK_SECRET" | sed 's/^.* //')
        curl -sS -X POST '{{{EventsUrl}}}' \
          -H 'Content-Type: application/json' \
          -H "X-HappiTrack-Signature: sha256=$sig" \
          -H 'Idempotency-Key: order-1001-placed' \
          --data-binary "$body"
        """;

    public async Task<IActionResult> OnGetAsync(int id, CancellationToken ct) => await LoadAsync(id, ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostTestAsync(int id, CancellationToken ct)
    {
        if (!await LoadAsync(id, ct)) return NotFound();
        TestResult = await pipeline.SendTestAsync(id, ct);
        await audit.RecordAsync(AuditActions.SiteTestEvent, $"site:{id}", new { TestResult.Status, TestResult.Verdict }, ct);
        await LoadAsync(id, ct);
        return Page();
    }

    public async Task<IActionResult> OnPostCartRestoreAsync(int id, CancellationToken ct)
    {
        switch (await sites.SetCartRestoreTemplateAsync(id, CartRestoreUrlTemplate, ct))
        {
            case null: return NotFound();
            case "": CartRestoreSaved = true; ModelState.Clear(); break;
            case var error: ModelState.AddModelError(nameof(CartRestoreUrlTemplate), error); break;
        }
        return await LoadAsync(id, ct) ? Page() : NotFound();
    }

    /// <summary>What a shop's server runs to check a restore link before it fills the cart (the secret stays on the server).</summary>
    public const string VerifySnippet =
        """
        // Node.js, on the shop's server: payload and sig exactly as they arrived in the restore URL.
        const crypto = require('node:crypto');
        function verifyRestore(payload, sig, secret) {
          const expected = crypto.createHmac('sha256', secret).update(payload).digest('hex');
          if (typeof sig !== 'string' || sig.length !== 64 ||
              !crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected))) return null;
          const cart = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
          return cart.exp > Date.now() / 1000 ? cart : null; // cart.lines: [{ slug, qty, url }]
        }
        """;

    private async Task<bool> LoadAsync(int id, CancellationToken ct)
    {
        if (await sites.FindAsync(id, ct) is not { } site) return false;
        Site = site;
        // A refused value stays in the box to be corrected; otherwise the box shows what is saved.
        if (ModelState.GetFieldValidationState(nameof(CartRestoreUrlTemplate)) != Microsoft.AspNetCore.Mvc.ModelBinding.ModelValidationState.Invalid)
            CartRestoreUrlTemplate = site.CartRestoreUrlTemplate;
        Requests = await db.Set<SiteRequest>().AsNoTracking().Where(r => r.SiteId == id)
            .OrderByDescending(r => r.Id).Take(Shown).ToListAsync(ct);
        return true;
    }
}

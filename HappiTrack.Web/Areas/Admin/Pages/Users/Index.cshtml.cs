using System.ComponentModel.DataAnnotations;
using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;

namespace HappiTrack.Web.Areas.Admin.Pages.Users;

/// <summary>Staff accounts: create Admin/Analyst users, disable or enable them, reset passwords.</summary>
public sealed class IndexModel(
    AppDbContext db,
    UserManager<IdentityUser> users,
    ApiTokenService tokens,
    IAuditLog audit,
    ILogger<IndexModel> logger) : PageModel
{
    public static readonly IReadOnlyList<string> Roles = [AuthPolicies.AdminRole, AuthPolicies.AnalystRole];

    public IReadOnlyList<UserRow> Rows { get; private set; } = [];

    [BindProperty]
    public NewUserInput NewUser { get; set; } = new();

    public string? ActionError { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) => Rows = await LoadRowsAsync(ct);

    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (NewUser.Role is not null && !Roles.Contains(NewUser.Role))
            ModelState.AddModelError("NewUser.Role", "Choose Admin or Analyst.");
        if (!ModelState.IsValid) return await RedisplayAsync(ct);

        var email = NewUser.Email!.Trim();
        var user = new IdentityUser { UserName = email, Email = email, EmailConfirmed = true };
        var created = await users.CreateAsync(user, NewUser.Password!);
        if (!created.Succeeded)
        {
            foreach (var error in created.Errors)
                ModelState.AddModelError(error.Code.Contains("Password", StringComparison.Ordinal) ? "NewUser.Password" : "NewUser.Email", error.Description);
            return await RedisplayAsync(ct);
        }
        await users.AddToRoleAsync(user, NewUser.Role!);
        await audit.RecordAsync(AuditActions.UserCreate, $"user:{user.Id}", new { email, role = NewUser.Role }, ct);
        logger.LogInformation("{Admin} created {Role} account {Email}", EmailMask.Mask(User.Identity?.Name), NewUser.Role, EmailMask.Mask(email));
        TempData["Status"] = $"Created {NewUser.Role} account {email}.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostDisableAsync(string id, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return NotFound();
        if (user.Id == users.GetUserId(User))
        {
            ActionError = "You cannot disable your own account.";
            return await RedisplayAsync(ct);
        }
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, DateTimeOffset.MaxValue);
        // Ends the user's open sessions at the next security-stamp check.
        await users.UpdateSecurityStampAsync(user);
        var revoked = await tokens.RevokeAllCreatedByAsync(user.UserName!, User.Identity!.Name!, ct);
        await audit.RecordAsync(AuditActions.UserDisable, $"user:{user.Id}", new { email = user.Email, tokensRevoked = revoked }, ct);
        logger.LogWarning("{Admin} disabled account {Email} and revoked its {Tokens} API tokens",
            EmailMask.Mask(User.Identity?.Name), EmailMask.Mask(user.Email), revoked);
        TempData["Status"] = $"Disabled {user.Email}.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostEnableAsync(string id, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return NotFound();
        await users.SetLockoutEndDateAsync(user, null);
        await users.ResetAccessFailedCountAsync(user);
        await audit.RecordAsync(AuditActions.UserEnable, $"user:{user.Id}", new { email = user.Email }, ct);
        logger.LogInformation("{Admin} enabled account {Email}", EmailMask.Mask(User.Identity?.Name), EmailMask.Mask(user.Email));
        TempData["Status"] = $"Enabled {user.Email}.";
        return RedirectToPage();
    }

    /// <summary>
    /// Makes the user exactly Admin or exactly Analyst. The new security stamp signs their open sessions
    /// out within a minute (a refreshed cookie would otherwise carry on with the new role silently), and
    /// leaving Admin revokes their API tokens, which act with Admin rights.
    /// </summary>
    public async Task<IActionResult> OnPostSetRoleAsync(string id, string? role, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return NotFound();
        if (user.Id == users.GetUserId(User))
        {
            ActionError = "You cannot change your own role.";
            return await RedisplayAsync(ct);
        }
        if (role is null || !Roles.Contains(role))
        {
            ActionError = $"Choose Admin or Analyst for {user.Email}.";
            return await RedisplayAsync(ct);
        }
        var current = await users.GetRolesAsync(user);
        if (current.Count == 1 && current[0] == role)
        {
            TempData["Status"] = $"{user.Email} is already {role}.";
            return RedirectToPage();
        }
        var removed = await users.RemoveFromRolesAsync(user, current);
        var added = removed.Succeeded ? await users.AddToRoleAsync(user, role) : removed;
        if (!added.Succeeded)
        {
            ActionError = $"Role of {user.Email} not changed: " + string.Join(" ", added.Errors.Select(e => e.Description));
            return await RedisplayAsync(ct);
        }
        await users.UpdateSecurityStampAsync(user);
        var revoked = role == AuthPolicies.AdminRole ? 0 : await tokens.RevokeAllCreatedByAsync(user.UserName!, User.Identity!.Name!, ct);
        await audit.RecordAsync(AuditActions.UserRoleChange, $"user:{user.Id}",
            new { email = user.Email, before = current, after = role, tokensRevoked = revoked }, ct);
        logger.LogWarning("{Admin} made {Email} {Role} (was {Previous}); {Tokens} API tokens revoked",
            EmailMask.Mask(User.Identity?.Name), EmailMask.Mask(user.Email), role, string.Join(", ", current), revoked);
        TempData["Status"] = $"{user.Email} is now {role}; their open sessions end within a minute.";
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostResetPasswordAsync(string id, string? newPassword, CancellationToken ct)
    {
        var user = await users.FindByIdAsync(id);
        if (user is null) return NotFound();
        if (string.IsNullOrEmpty(newPassword))
        {
            ActionError = $"Type a new password for {user.Email}.";
            return await RedisplayAsync(ct);
        }
        var reset = await users.ResetPasswordAsync(user, await users.GeneratePasswordResetTokenAsync(user), newPassword);
        if (!reset.Succeeded)
        {
            ActionError = $"Password for {user.Email} not changed: " + string.Join(" ", reset.Errors.Select(e => e.Description));
            return await RedisplayAsync(ct);
        }
        await audit.RecordAsync(AuditActions.UserPasswordReset, $"user:{user.Id}", new { email = user.Email }, ct);
        logger.LogWarning("{Admin} reset the password of {Email}", EmailMask.Mask(User.Identity?.Name), EmailMask.Mask(user.Email));
        TempData["Status"] = $"New password set for {user.Email}; their open sessions end within a minute.";
        return RedirectToPage();
    }

    private async Task<PageResult> RedisplayAsync(CancellationToken ct)
    {
        Rows = await LoadRowsAsync(ct);
        NewUser.Password = null;
        return Page();
    }

    private async Task<IReadOnlyList<UserRow>> LoadRowsAsync(CancellationToken ct)
    {
        var accounts = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(ct);
        var roleNames = await (
                from ur in db.UserRoles
                join r in db.Roles on ur.RoleId equals r.Id
                select new { ur.UserId, r.Name })
            .ToListAsync(ct);
        var rolesByUser = roleNames.ToLookup(x => x.UserId, x => x.Name!);
        // Identity stamps lockouts with the system clock, so they are read against the same clock.
        var now = DateTimeOffset.UtcNow;
        var me = users.GetUserId(User);
        return accounts.Select(u => new UserRow(
                u.Id, u.Email ?? u.UserName ?? u.Id,
                rolesByUser[u.Id].Order().ToList(),
                u.IsDisabled() ? AccountState.Disabled : u.LockoutEnd > now ? AccountState.LockedOut : AccountState.Active,
                u.LockoutEnd is { } end && end > now && !u.IsDisabled() ? end : null,
                u.AccessFailedCount,
                u.Id == me))
            .ToList();
    }

    public enum AccountState { Active, LockedOut, Disabled }

    public sealed record UserRow(
        string Id, string Email, IReadOnlyList<string> Roles, AccountState State, DateTimeOffset? LockedUntil,
        int FailedAttempts, bool IsCurrentUser);

    public sealed class NewUserInput
    {
        [Required(ErrorMessage = "Enter the person's email address."), EmailAddress(ErrorMessage = "That is not an email address."), StringLength(256)]
        public string? Email { get; set; }

        [Required(ErrorMessage = "Choose Admin or Analyst.")]
        public string? Role { get; set; } = AuthPolicies.AnalystRole;

        [Required(ErrorMessage = "Choose an initial password of at least 12 characters.")]
        [StringLength(1024, MinimumLength = IdentitySetup.MinPasswordLength, ErrorMessage = "The password must be at least 12 characters long.")]
        public string? Password { get; set; }
    }
}

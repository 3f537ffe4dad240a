using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Audit;
using HappiTrack.Web.Features.Embed;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Checkout;
using HappiTrack.Web.Features.Contacts;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Nudges;
using HappiTrack.Web.Features.Privacy;
using HappiTrack.Web.Features.Rules;
using HappiTrack.Web.Features.Scoring;
using HappiTrack.Web.Features.Settings;
using HappiTrack.Web.Features.Shared;
using HappiTrack.Web.Features.Sites;
using HappiTrack.Web.Features.Tokens;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddOperations();
builder.Services.AddAppDatabase(builder.Configuration);
builder.Services.AddWebUi();
builder.Services.AddIdentitySetup();
builder.Services.AddApiAuthentication();
builder.Services.AddAdminArea();
builder.Services.AddShared();
builder.Services.AddCatalog();
builder.Services.AddSettings();
builder.Services.AddCart();
builder.Services.AddCheckout();
builder.Services.AddTracking();
builder.Services.AddContacts();
builder.Services.AddCrm();
builder.Services.AddScoring();
builder.Services.AddRules();
builder.Services.AddTokens();
builder.Services.AddNudges(builder.Configuration);
builder.Services.AddBackgroundJobs(builder.Configuration, builder.Environment);
builder.Services.AddAnalytics();
builder.Services.AddPrivacy(builder.Environment);
builder.Services.AddAudit();
builder.Services.AddSites();

var app = builder.Build();

await app.Services.MigrateAndSeedAsync();
if (await app.RunAnalyticsCommandAsync(args)) return;

app.UseOperations();
app.UseWebUi();
app.UseTrackedLinks();
app.UseRateLimiter();
app.MapTracking();
app.MapEmbeddedTracker();
app.MapContacts();
app.MapCrm();
app.MapRazorPages();
app.MapAdmin();
app.MapLegacyRedirects();
app.MapNudges();
app.MapAnalytics();
app.MapPrivacy();
app.MapAudit();
app.MapSites();
app.UseBackgroundJobs();

app.Run();

public partial class Program;

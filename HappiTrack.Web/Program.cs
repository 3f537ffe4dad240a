using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Features.Cart;
using HappiTrack.Web.Features.Catalog;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddAppDatabase(builder.Configuration);
builder.Services.AddWebUi();
builder.Services.AddApiAuthentication();
builder.Services.AddCatalog();
builder.Services.AddCart();
builder.Services.AddTracking();
builder.Services.AddCrm();
builder.Services.AddAnalytics();

var app = builder.Build();

await app.Services.MigrateAndSeedAsync();
if (await app.RunAnalyticsCommandAsync(args)) return;

app.UseWebUi();
app.MapTracking();
app.MapCrm();
app.MapRazorPages();
app.MapLegacyRedirects();
app.MapAnalytics();

app.Run();

public partial class Program;

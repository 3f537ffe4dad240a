using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Analytics;
using HappiTrack.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddAppDatabase(builder.Configuration);
builder.Services.AddWebUi();
builder.Services.AddApiAuthentication();
builder.Services.AddAnalytics();

var app = builder.Build();

await app.Services.MigrateAndSeedAsync();
if (await app.RunAnalyticsCommandAsync(args)) return;

app.UseWebUi();
app.MapRazorPages();
app.MapAnalytics();

app.Run();

public partial class Program;

using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Crm;
using HappiTrack.Web.Features.Tracking;
using HappiTrack.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddAppDatabase(builder.Configuration);
builder.Services.AddWebUi();
builder.Services.AddApiAuthentication();
builder.Services.AddTracking();
builder.Services.AddCrm();

var app = builder.Build();

await app.Services.MigrateAndSeedAsync();

app.UseWebUi();
app.MapTracking();
app.MapCrm();
app.MapRazorPages();

app.Run();

public partial class Program;

using HappiTrack.Web.Data;
using HappiTrack.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddAppDatabase(builder.Configuration);
builder.Services.AddWebUi();
builder.Services.AddApiAuthentication();

var app = builder.Build();

await app.Services.MigrateAndSeedAsync();

app.UseWebUi();
app.MapRazorPages();

app.Run();

public partial class Program;

using HappiTrack.Web.Data;
using HappiTrack.Web.Features.Admin;
using HappiTrack.Web.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddAppDatabase(builder.Configuration);
builder.Services.AddWebUi();
builder.Services.AddIdentitySetup();
builder.Services.AddApiAuthentication();
builder.Services.AddAdminArea();

var app = builder.Build();

await app.Services.MigrateAndSeedAsync();

app.UseWebUi();
app.MapRazorPages();
app.MapAdminApi();

app.Run();

public partial class Program;
